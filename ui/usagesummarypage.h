#pragma once

#include "db/connectionbudget.h"
#include "db/dberror.h"

#include <QWidget>

#include <optional>

class QComboBox;
class QDateEdit;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTableView;

namespace beacon::models {
class UsageSummaryModel;
} // namespace beacon::models

namespace beacon::ui {

class InlineMessage;

// AI usage summed per day or month and per workspace, user or model, for finance. The form is checked
// before anything is asked of the database; the summary runs on the model's worker, can be cancelled, and
// stops at a row limit with a line that says so.
class UsageSummaryPage : public QWidget {
    Q_OBJECT
public:
    static constexpr int DefaultRowLimit = 5000;
    static constexpr int DefaultDays = 30;
    static constexpr int DefaultMonths = 12;

    explicit UsageSummaryPage(QWidget *parent = nullptr);
    void setConnection(ConnectionBudget *budget);
    models::UsageSummaryModel *model() const { return m_model; }
    // At most this many groups are shown (DefaultRowLimit unless changed).
    void setRowLimit(int limit) { m_rowLimit = limit; }

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    void resetRangeToDefault();
    void runSummary();
    void cancelSummary();
    // The id typed in `field`, nothing when it is empty; *valid is false (and the problem shown) when the
    // text is not a positive whole number.
    std::optional<qint64> idFrom(QLineEdit *field, const QString &problem, bool *valid);
    void refuse(QWidget *field, const QString &message);
    void busyChanged(bool busy);
    void summaryFinished(bool truncated);
    void showProblem(const DbError &error);

    models::UsageSummaryModel *m_model;
    QComboBox *m_groupBy;
    QComboBox *m_period;
    QDateEdit *m_from;
    QDateEdit *m_to;
    QLineEdit *m_workspace;
    QLineEdit *m_user;
    QLineEdit *m_modelName;
    QPushButton *m_show;
    QPushButton *m_cancel;
    QProgressBar *m_progress;
    QLabel *m_running;
    QLabel *m_status;
    InlineMessage *m_problem;
    QTableView *m_view;
    bool m_connected = false;
    int m_rowLimit = DefaultRowLimit;
};

} // namespace beacon::ui
