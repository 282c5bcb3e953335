#pragma once

#include "billing/reconciliationrun.h"
#include "db/connectionbudget.h"
#include "db/dberror.h"

#include <QAbstractTableModel>
#include <QJsonValue>

namespace beacon::models {

// The findings of one reconciliation of Stripe with the database (billing::ReconciliationRun), with its
// database reads on the Detail lane of the window's connections. Each run replaces the findings of the one
// before; findings that an applied action has mended since are marked fixed rather than dropped, so that the
// person sees what is left.
class ReconciliationModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { KindColumn, WorkspaceColumn, DatabaseColumn, StripeColumn, FixColumn };
    static constexpr int ColumnCount = FixColumn + 1;
    // findingKindName() of the row's kind, for filtering by kind.
    static constexpr int KindRole = Qt::UserRole;

    explicit ReconciliationModel(QObject *parent = nullptr);
    ~ReconciliationModel() override;

    // The connections to read the workspaces through; nothing is read until run().
    void setConnection(ConnectionBudget *budget, DbLane lane = DbLane::Detail);
    void setStripe(const billing::StripeAccess &access);
    bool hasStripe() const { return m_run->hasStripe(); }
    // Clears the findings and starts a reconciliation; one still under way is dropped.
    void run();
    // Stops the reconciliation under way (Stripe's paging, or the database read on the server); finished()
    // does not follow, cancelled() does.
    void cancel();
    bool isBusy() const { return m_run->isRunning(); }
    // The last finished run's report.
    const billing::ReconciliationReport &report() const { return m_report; }

    const billing::Finding &finding(int row) const { return m_rows.at(row).finding; }
    bool isFixed(int row) const { return m_rows.at(row).fixed; }
    int unfixedCount() const;
    // What a person needs to decide about the finding, in words: its explanation, the suggested fix, and for
    // duplicate customers every customer with its e-mail and creation date and which one the row names.
    QString details(int row) const;
    // Marks fixed the findings that `after` (an applied action's workspace rows, as ActionResult::after holds
    // them) shows mended: the row now names the id or holds the value that Stripe had. Returns how many.
    int markFixedBy(const QJsonValue &after);

    static QString kindTitle(billing::FindingKind kind);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    // After each Stripe page: pages read in all, customers and subscriptions read so far.
    void progress(int pages, int customers, int subscriptions);
    // The findings of the current run are in.
    void finished();
    void cancelled();
    void errorOccurred(const beacon::DbError &error);
    void busyChanged(bool busy);

private:
    struct Row {
        billing::Finding finding;
        bool fixed = false;
    };
    void runFinished(const billing::ReconciliationReport &report);

    billing::ReconciliationRun *m_run;
    billing::ReconciliationReport m_report;
    QList<Row> m_rows;
};

} // namespace beacon::models
