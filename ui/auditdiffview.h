#pragma once

#include "browse/auditdiff.h"
#include "db/connectionbudget.h"
#include "db/dberror.h"

#include <QWidget>

#include <optional>

class QAbstractItemModel;
class QCheckBox;
class QLabel;
class QStandardItemModel;
class QTableView;

namespace beacon::ui {

class InlineMessage;

// One audit entry: who did what to which target and why, and a table of the fields it changed with their
// values before and after. The kind of each change is written out ("changed", "added", "removed") so that it
// never rests on colour. The entry is read on a worker thread; a reply for an entry that is no longer the
// one asked for is dropped.
class AuditDiffView : public QWidget {
    Q_OBJECT
public:
    enum Column { FieldColumn, ChangeColumn, BeforeColumn, AfterColumn };

    explicit AuditDiffView(QWidget *parent = nullptr);
    // Reads entries on the Detail lane of the window's connections.
    void setConnection(ConnectionBudget *budget);
    // Reads and shows the entry; nothing clears the view.
    void showEntry(std::optional<qint64> auditId);

    // The entry whose fields are on screen, once read.
    std::optional<qint64> shownEntry() const { return m_shown; }
    // Field, change, before, after: one row per changed field (and unchanged ones when asked for).
    QAbstractItemModel *changes() const;
    // Reads under way, including ones whose reply will be dropped.
    int loadsInFlight() const { return m_reads->pending(); }
    // Replies dropped because a newer selection superseded them.
    int droppedReplies() const { return m_reads->droppedReplies(); }

signals:
    // An entry's fields are on screen (or the view was cleared, or the entry turned out missing).
    void entryShown(std::optional<qint64> auditId);
    void errorOccurred(const beacon::DbError &error);

private:
    struct Reply {
        browse::AuditEntry entry;
        bool found = false;
    };
    void replyArrived(qint64 auditId, Reply reply, const DbError &error);
    void clearEntry();
    void showFields();

    std::optional<qint64> m_shown;
    std::optional<browse::AuditEntry> m_entry;

    QLabel *m_when;
    QLabel *m_actor;
    QLabel *m_login;
    QLabel *m_action;
    QLabel *m_target;
    QLabel *m_workspace;
    QLabel *m_reason;
    QLabel *m_status;
    InlineMessage *m_problem;
    QCheckBox *m_showUnchanged;
    QStandardItemModel *m_changes;
    QTableView *m_view;
    DbRequester *m_reads;
};

} // namespace beacon::ui
