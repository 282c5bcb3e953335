// Fuzzes the database address parser (ConnectionSpec::fromUri, on libpq's PQconninfoParse) and what is made
// of a parsed address: the display URI, the target and QPSQL's options.
//
// The input is put in a password position, in both the URI and the key=value form, behind a password the
// rest of the text cannot contain, so that the checks can tell a leaked password from text that merely
// looks like one. Properties:
// - nothing that is shown or logged (displayUri, target, driverOptions, the error message) ever contains
//   the password;
// - the display URI reads back (fromUri) as the same host, port, database, user and TLS mode.
#include "fuzzcheck.h"

#include "db/connectionspec.h"

#include <QCoreApplication>

using beacon::ConnectionSpec;

namespace {

const QString Password = QStringLiteral("Pw7secretQ");

void checkParsed(const QString &input, const ConnectionSpec &spec)
{
    // The password shows nowhere but in `password`, unless the text put it in another field itself.
    const bool passwordElsewhere = spec.host.contains(Password) || spec.user.contains(Password) ||
                                   spec.database.contains(Password) ||
                                   spec.applicationName.contains(Password) || spec.sslMode.contains(Password);
    if (!passwordElsewhere) {
        FUZZ_CHECK(!spec.displayUri().contains(Password), input + QStringLiteral(" -> ") + spec.displayUri());
        FUZZ_CHECK(!spec.target().contains(Password), input + QStringLiteral(" -> ") + spec.target());
        FUZZ_CHECK(!spec.driverOptions().contains(Password), input);
    }
    FUZZ_CHECK(spec.port >= 1 && spec.port <= 65535, input);
    FUZZ_CHECK(spec.connectTimeoutSeconds >= 1, input);
    FUZZ_CHECK(ConnectionSpec::isValidSslMode(spec.sslMode), input);

    // Round trip through the display URI. NUL cannot travel through libpq's C strings, so a field holding
    // one (from %00) is left out.
    const auto hasNul = [](const QString &text) {
        return text.contains(QChar(0));
    };
    if (hasNul(spec.host) || hasNul(spec.user) || hasNul(spec.database))
        return;
    QString error;
    const std::optional<ConnectionSpec> again = ConnectionSpec::fromUri(spec.displayUri(), &error);
    FUZZ_CHECK(again, input + QStringLiteral(" -> ") + spec.displayUri() + QStringLiteral(": ") + error);
    FUZZ_CHECK(again->host == spec.host, spec.displayUri() + QStringLiteral(" host ") + again->host);
    FUZZ_CHECK(again->port == spec.port, spec.displayUri());
    FUZZ_CHECK(again->database == spec.database,
               spec.displayUri() + QStringLiteral(" db ") + again->database);
    FUZZ_CHECK(again->user == spec.user, spec.displayUri() + QStringLiteral(" user ") + again->user);
    FUZZ_CHECK(again->sslMode == spec.sslMode, spec.displayUri());
}

void parse(const QString &input, bool passwordGiven)
{
    QString error;
    const std::optional<ConnectionSpec> spec = ConnectionSpec::fromUri(input, &error);
    if (!spec) {
        FUZZ_CHECK(!error.isEmpty(), input);
        if (passwordGiven)
            FUZZ_CHECK(!error.contains(Password), input + QStringLiteral(" -> ") + error);
        return;
    }
    checkParsed(input, *spec);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    // libpq's defaults come from the environment; a fixed one keeps a finding reproducible.
    for (const char *name : {"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE",
                             "PGCONNECT_TIMEOUT", "PGAPPNAME", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS"})
        qunsetenv(name);
    static QCoreApplication app(*argc, *argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString rest = fuzz::text(data, size);
    // As it came, the way --db hands it over.
    parse(rest, false);
    if (rest.contains(Password, Qt::CaseInsensitive) || rest.contains(QLatin1Char('%')))
        return 0;
    parse(QStringLiteral("postgresql://ann:") + Password + QLatin1Char('@') + rest, true);
    parse(QStringLiteral("password=") + Password + QLatin1Char(' ') + rest, true);
    return 0;
}
