// Fuzzes the reading of an audit row's before/after jsonb text (browse::parseJsonbText, as fetchAuditEntry
// reads it) and the field diff the audit view shows (browse::diffAuditRow).
//
// The input is split at its first NUL byte into the `before` and `after` column texts. Properties:
// - a document compared with itself has no change, and with includeUnchanged every leaf is Unchanged;
// - swapping before and after swaps Added and Removed and the two values, path by path;
// - no path is reported twice.
#include "fuzzcheck.h"

#include "browse/auditdiff.h"

#include <QCoreApplication>
#include <QSet>

using namespace beacon::browse;

namespace {

QJsonValue read(const QByteArray &bytes, bool *ok)
{
    QJsonValue value;
    QString problem;
    *ok = parseJsonbText(QVariant(QString::fromUtf8(bytes)), &value, &problem);
    if (!*ok)
        FUZZ_CHECK(!problem.isEmpty(), QString::fromUtf8(bytes));
    return value;
}

FieldChange::Kind mirrored(FieldChange::Kind kind)
{
    if (kind == FieldChange::Kind::Added)
        return FieldChange::Kind::Removed;
    if (kind == FieldChange::Kind::Removed)
        return FieldChange::Kind::Added;
    return kind;
}

void checkSelf(const QJsonValue &value)
{
    FUZZ_CHECK(diffAuditRow(value, value).isEmpty(), QStringLiteral("a document differs from itself"));
    for (const FieldChange &change : diffAuditRow(value, value, /*includeUnchanged=*/true))
        FUZZ_CHECK(change.kind == FieldChange::Kind::Unchanged && change.before == change.after, change.path);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static QCoreApplication app(*argc, *argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype split = bytes.indexOf('\0');
    bool beforeOk = false;
    bool afterOk = false;
    const QJsonValue before = read(split < 0 ? bytes : bytes.left(split), &beforeOk);
    const QJsonValue after = split < 0 ? QJsonValue() : read(bytes.mid(split + 1), &afterOk);
    if (!beforeOk)
        return 0;
    checkSelf(before);
    if (split < 0 || !afterOk)
        return 0;
    checkSelf(after);

    const QList<FieldChange> forward = diffAuditRow(before, after, true);
    const QList<FieldChange> backward = diffAuditRow(after, before, true);
    FUZZ_CHECK(forward.size() == backward.size(), QStringLiteral("the diff is not symmetric"));
    QSet<QString> paths;
    for (qsizetype i = 0; i < forward.size(); ++i) {
        const FieldChange &change = forward.at(i);
        FUZZ_CHECK(!paths.contains(change.path), QStringLiteral("reported twice: ") + change.path);
        paths.insert(change.path);
        const auto match = std::find_if(backward.cbegin(), backward.cend(),
                                        [&](const FieldChange &other) { return other.path == change.path; });
        FUZZ_CHECK(match != backward.cend(), QStringLiteral("only one way: ") + change.path);
        FUZZ_CHECK(match->kind == mirrored(change.kind) && match->before == change.after &&
                       match->after == change.before,
                   change.path);
    }
    return 0;
}
