#pragma once

#include "browse/quickfind.h"
#include "db/connectionbudget.h"

#include <QDialog>

class QLineEdit;
class QListWidget;

namespace beacon::ui {

class InlineMessage;

// Ctrl+K: type an id, a slug, an e-mail address or a Stripe id, press Enter, and pick the workspace or user.
class QuickOpenDialog : public QDialog {
    Q_OBJECT
public:
    // Looks up on the Detail lane of the window's connections.
    explicit QuickOpenDialog(ConnectionBudget *budget, QWidget *parent = nullptr);
    const browse::QuickFindHit &chosen() const { return m_chosen; }

private:
    void enterPressed();
    void lookUp();
    void showHits(const QString &text, const QList<browse::QuickFindHit> &hits, const DbError &error);
    void choose(int row);

    QLineEdit *m_text;
    QListWidget *m_results;
    InlineMessage *m_status;
    QString m_shownFor; // the text whose results are listed
    QList<browse::QuickFindHit> m_hits;
    browse::QuickFindHit m_chosen;
    DbRequester *m_lookups;
};

} // namespace beacon::ui
