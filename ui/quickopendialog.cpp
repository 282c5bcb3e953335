#include "quickopendialog.h"

#include "inlinemessage.h"

#include <QLineEdit>
#include <QListWidget>
#include <QVBoxLayout>

namespace beacon::ui {

QuickOpenDialog::QuickOpenDialog(ConnectionBudget *budget, QWidget *parent)
    : QDialog(parent)
    , m_text(new QLineEdit(this))
    , m_results(new QListWidget(this))
    , m_status(new InlineMessage(this))
    , m_lookups(new DbRequester(this))
{
    m_lookups->setWorker(budget ? budget->worker(DbLane::Detail) : nullptr);
    setWindowTitle(tr("Quick open"));
    m_text->setObjectName(QStringLiteral("quickOpenText"));
    m_text->setPlaceholderText(
        tr("Workspace id or slug, user id or e-mail, Stripe customer or subscription id"));
    m_results->setObjectName(QStringLiteral("quickOpenResults"));
    m_status->setObjectName(QStringLiteral("quickOpenStatus"));
    connect(m_text, &QLineEdit::returnPressed, this, &QuickOpenDialog::enterPressed);
    connect(m_results, &QListWidget::itemActivated, this,
            [this](QListWidgetItem *item) { choose(m_results->row(item)); });
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_text);
    layout->addWidget(m_results);
    layout->addWidget(m_status);
    resize(560, 320);
}

void QuickOpenDialog::enterPressed()
{
    // Enter on a text already looked up opens the selected hit; on new text it looks it up.
    if (m_text->text().trimmed() == m_shownFor && m_results->currentRow() >= 0)
        choose(m_results->currentRow());
    else
        lookUp();
}

void QuickOpenDialog::lookUp()
{
    const QString text = m_text->text().trimmed();
    if (text.isEmpty())
        return;
    m_status->showMessage(InlineMessage::Type::Information, tr("Looking up…"));
    struct Answer {
        QList<browse::QuickFindHit> hits;
    };
    // A newer look-up supersedes the one before; only its answer is shown.
    m_lookups->run<Answer>(
        m_lookups->supersede(),
        [text](const QSqlDatabase &db, Answer &answer) { return browse::quickFind(db, text, &answer.hits); },
        [this, text](Answer answer, const DbError &error) { showHits(text, answer.hits, error); });
}

void QuickOpenDialog::showHits(const QString &text, const QList<browse::QuickFindHit> &hits,
                               const DbError &error)
{
    m_results->clear();
    m_hits = hits;
    m_shownFor = text;
    if (error) {
        m_status->showError(error);
        return;
    }
    for (const auto &hit : hits) {
        const QString kind = hit.kind == browse::QuickFindHit::Kind::User ? tr("User") : tr("Workspace");
        m_results->addItem(tr("%1 %2 — %3").arg(kind).arg(hit.id).arg(hit.label));
    }
    if (hits.isEmpty()) {
        m_status->showMessage(InlineMessage::Type::Warning,
                              tr("Nothing has exactly that id, slug, e-mail or Stripe id."));
        return;
    }
    m_results->setCurrentRow(0);
    m_status->showMessage(InlineMessage::Type::Information, tr("Press Enter to open the selected one."));
}

void QuickOpenDialog::choose(int row)
{
    if (row < 0 || row >= m_hits.size())
        return;
    m_chosen = m_hits.at(row);
    accept();
}

} // namespace beacon::ui
