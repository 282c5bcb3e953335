// Fuzzes the search and column-filter conditions every browsable table builds (browse::requestConditions,
// which fetchPage, countUpTo and matchingIds use) and the LIKE pattern of a substring search.
//
// Properties:
// - the SQL text never depends on what was typed: the same request with every value replaced reads the
//   same, so no search text or filter value can become SQL;
// - every placeholder in the text has a value bound to it;
// - containsPattern() makes LIKE's wildcards and escape literal: unescaping it gives back the text.
#include "fuzzcheck.h"

#include "browse/keysetpager.h"
#include "browse/tables.h"

#include <QCoreApplication>
#include <QRegularExpression>
#include <QSet>

#include <fuzzer/FuzzedDataProvider.h>

using namespace beacon::browse;

namespace {

const QList<const TableDefinition *> &tables()
{
    static const QList<const TableDefinition *> all = {&usersTable(),
                                                       &workspacesTable(),
                                                       &aiUsageTable(),
                                                       &subscriptionsTable(),
                                                       &quotasTable(),
                                                       &exportsTable(),
                                                       &auditLogTable(),
                                                       &filesTable(),
                                                       &workspaceMembersTable(),
                                                       &workspaceProjectsTable(),
                                                       &workspaceAuditTable(),
                                                       &workspaceAiUsageTable(),
                                                       &workspaceSubscriptionTable(),
                                                       &projectFilesTable(),
                                                       &userMembershipsTable(),
                                                       &userAiUsageTable(),
                                                       &userAuditTable()};
    return all;
}

QString takeText(FuzzedDataProvider &input)
{
    const std::string bytes = input.ConsumeRandomLengthString(512);
    return QString::fromUtf8(bytes.data(), qsizetype(bytes.size()));
}

// LIKE with ESCAPE '\': a backslash makes the next character literal.
QString unescapeLike(const QString &pattern)
{
    QString text;
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        if (pattern.at(i) == QLatin1Char('\\') && i + 1 < pattern.size())
            ++i;
        else
            FUZZ_CHECK(pattern.at(i) != QLatin1Char('%') && pattern.at(i) != QLatin1Char('_'),
                       QStringLiteral("unescaped wildcard in ") + pattern);
        text.append(pattern.at(i));
    }
    return text;
}

void checkPattern(const QString &text)
{
    const QString pattern = containsPattern(text);
    FUZZ_CHECK(pattern.startsWith(QLatin1Char('%')) && pattern.endsWith(QLatin1Char('%')), pattern);
    FUZZ_CHECK(unescapeLike(pattern.mid(1, pattern.size() - 2)) == text, pattern);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static QCoreApplication app(*argc, *argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzedDataProvider input(data, size);
    const TableDefinition &table =
        *tables().at(input.ConsumeIntegralInRange<int>(0, int(tables().size()) - 1));
    PageRequest request;
    if (input.ConsumeBool())
        request.scope = input.ConsumeIntegral<qint64>();
    if (input.ConsumeBool()) {
        QList<qint64> ids;
        for (int n = input.ConsumeIntegralInRange(0, 20); n > 0; --n)
            ids.append(input.ConsumeIntegral<qint64>());
        request.onlyIds = ids;
    }
    for (int n = input.ConsumeIntegralInRange(0, 6); n > 0; --n) {
        ColumnFilter filter;
        // Mostly real columns, sometimes one out of range, as a stale saved filter could name.
        filter.column = input.ConsumeIntegralInRange<int>(-2, int(table.columns.size()) + 1);
        filter.op = ColumnFilter::Op(input.ConsumeIntegralInRange(0, 5));
        filter.value = takeText(input);
        request.filters.append(filter);
    }
    request.search = takeText(input);
    checkPattern(request.search);

    const BoundConditions conditions = requestConditions(table, request);

    PageRequest blank = request;
    blank.search = request.search.isEmpty() ? QString() : QStringLiteral("s");
    for (ColumnFilter &filter : blank.filters)
        filter.value = QStringLiteral("v");
    FUZZ_CHECK(requestConditions(table, blank).sql == conditions.sql,
               QStringLiteral("the SQL changed with the values: ") + conditions.sql);

    QSet<QString> bound;
    for (const auto &[name, value] : conditions.values)
        bound.insert(name);
    // Not the :: of a cast nor a POSIX class such as [:alnum:].
    static const QRegularExpression placeholder(QStringLiteral("(?<![\\w:\\[]):[A-Za-z_][A-Za-z0-9_]*"));
    for (auto match = placeholder.globalMatch(conditions.sql); match.hasNext();) {
        const QString name = match.next().captured();
        FUZZ_CHECK(bound.contains(name), name + QStringLiteral(" has no value in ") + conditions.sql);
    }
    return 0;
}
