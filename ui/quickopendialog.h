#pragma once

#include "browse/quickfind.h"
#include "db/connectionspec.h"

#include <QDialog>

class QLineEdit;
class QListWidget;

namespace beacon::ui {

class InlineMessage;

// Ctrl+K: type an id, a slug, an e-mail address or a Stripe id, press Enter, and pick the workspace or user.
class QuickOpenDialog : public QDialog {
    Q_OBJECT
public:
    QuickOpenDialog(ConnectionSpec spec, QWidget *parent = nullptr);
    const browse::QuickFindHit &chosen() const { return m_chosen; }

private:
    void enterPressed();
    void lookUp();
    void showHits(const QString &text, const QList<browse::QuickFindHit> &hits, const DbError &error);
    void choose(int row);

    ConnectionSpec m_spec;
    QLineEdit *m_text;
    QListWidget *m_results;
    InlineMessage *m_status;
    QString m_shownFor; // the text whose results are listed
    QList<browse::QuickFindHit> m_hits;
    browse::QuickFindHit m_chosen;
    quint64 m_attempt = 0;
};

} // namespace beacon::ui
