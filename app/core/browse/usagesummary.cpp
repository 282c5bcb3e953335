#include "browse/usagesummary.h"

#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>

namespace beacon::browse {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::browse", text);
}

namespace {

// The only SQL pieces that vary with the request, each picked from this fixed text; every value the person
// typed travels as a bound parameter.
QString groupExpression(UsageGrouping grouping)
{
    switch (grouping) {
    case UsageGrouping::Workspace:
        return QStringLiteral("u.workspace_id");
    case UsageGrouping::User:
        return QStringLiteral("u.user_id");
    case UsageGrouping::Model:
        return QStringLiteral("u.model");
    }
    return QStringLiteral("u.workspace_id");
}

// Truncated in UTC whatever the session's time zone, so that a day is the same day for everyone reading the
// figures; the range condition stays on the bare column so that the (…, created_at, id) indexes serve it.
QString periodExpression(UsagePeriod period)
{
    return period == UsagePeriod::Month
               ? QStringLiteral("date_trunc('month', u.created_at AT TIME ZONE 'UTC')")
               : QStringLiteral("date_trunc('day', u.created_at AT TIME ZONE 'UTC')");
}

QString periodFormat(UsagePeriod period)
{
    return period == UsagePeriod::Month ? QStringLiteral("YYYY-MM") : QStringLiteral("YYYY-MM-DD");
}

// QDateTime binding loses microseconds and the zone; ISO-8601 text cast on the server loses nothing.
QString timestampText(const QDateTime &moment)
{
    return moment.toUTC().toString(Qt::ISODateWithMs);
}

DbError validate(const UsageSummaryRequest &request)
{
    if (!request.from.isValid() || !request.to.isValid())
        return DbError::make(ErrorKind::Usage, tr("Choose both the start and the end of the time range."));
    if (request.from >= request.to)
        return DbError::make(ErrorKind::Usage, tr("The start of the time range must be before its end."));
    if (request.limit < 1)
        return DbError::make(ErrorKind::Usage, tr("Ask for at least one group."));
    return {};
}

} // namespace

DbError fetchUsageSummary(const QSqlDatabase &db, const UsageSummaryRequest &request,
                          QList<UsageSummaryRow> *rows, bool *truncated)
{
    rows->clear();
    *truncated = false;
    if (DbError error = validate(request))
        return error;

    QString conditions;
    if (request.workspaceId)
        conditions += QStringLiteral(" AND u.workspace_id = CAST(:workspace AS bigint)");
    if (request.userId)
        conditions += QStringLiteral(" AND u.user_id = CAST(:user AS bigint)");
    if (request.model)
        conditions += QStringLiteral(" AND u.model = CAST(:model AS text)");

    // One row more than asked for tells whether there were more groups, without a second count.
    // The tie-break on the group key makes the order, and so the cut at the limit, the same every time.
    const QString sql =
        QStringLiteral(
            "SELECT to_char(s.period, '%1'), s.group_key, s.requests, s.input_tokens, s.output_tokens, "
            "       CAST(s.cost_usd AS text) "
            "  FROM (SELECT %2 AS period, %3 AS group_key, count(*) AS requests, "
            "               sum(u.input_tokens) AS input_tokens, sum(u.output_tokens) AS output_tokens, "
            "               sum(u.cost_usd) AS cost_usd "
            "          FROM public.ai_usage AS u "
            "         WHERE u.created_at >= CAST(:from AS timestamptz) "
            "           AND u.created_at < CAST(:to AS timestamptz)%4 "
            "         GROUP BY 1, 2) AS s "
            " ORDER BY s.period DESC, s.cost_usd DESC, s.group_key ASC NULLS LAST "
            " LIMIT CAST(:limit AS bigint)")
            .arg(periodFormat(request.period), periodExpression(request.period),
                 groupExpression(request.grouping), conditions);

    const QString doing = tr("Summing AI usage");
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(sql))
        return DbError::fromSql(query.lastError(), doing);
    query.bindValue(QStringLiteral(":from"), timestampText(request.from));
    query.bindValue(QStringLiteral(":to"), timestampText(request.to));
    if (request.workspaceId)
        query.bindValue(QStringLiteral(":workspace"), *request.workspaceId);
    if (request.userId)
        query.bindValue(QStringLiteral(":user"), *request.userId);
    if (request.model)
        query.bindValue(QStringLiteral(":model"), *request.model);
    query.bindValue(QStringLiteral(":limit"), qint64(request.limit) + 1);
    if (!query.exec())
        return DbError::fromSql(query.lastError(), doing);

    const bool keyIsText = request.grouping == UsageGrouping::Model;
    while (query.next()) {
        if (rows->size() == request.limit) {
            *truncated = true;
            break;
        }
        UsageSummaryRow row;
        row.periodStart = query.value(0).toString();
        const QVariant key = query.value(1);
        // int8 arrives as qulonglong or qlonglong depending on its sign; callers get one type.
        if (!key.isNull())
            row.groupKey = keyIsText ? QVariant(key.toString()) : QVariant(key.toLongLong());
        row.requests = query.value(2).toLongLong();
        row.inputTokens = query.value(3).toLongLong();
        row.outputTokens = query.value(4).toLongLong();
        row.costUsd = query.value(5).toString();
        rows->append(std::move(row));
    }
    // A streamed result that stops early reports why only here.
    if (query.lastError().isValid()) {
        rows->clear();
        *truncated = false;
        return DbError::fromSql(query.lastError(), doing);
    }
    return {};
}

} // namespace beacon::browse
