#pragma once

#include "actionrunner.h"
#include "actions/action.h"

#include <QGroupBox>

class QPlainTextEdit;
class QTableWidget;

namespace beacon::ui {

class InlineMessage;

// What an admin action would change, and then what it did: the preview's words and a table of the fields
// before and after, and the outcome inline (words first, what support needs to look it up beneath). The
// outcome is a separate widget, created beside this box in the same parent, so that the dialog can put its
// confirmation between them.
class ActionOutcomeView : public QGroupBox {
    Q_OBJECT
public:
    explicit ActionOutcomeView(QWidget *parent);
    ~ActionOutcomeView() override;

    // Words instead of a preview (what is missing before one can run); the table empties.
    void showText(const QString &text);
    // A dry run: `target` describes what it would act on, then the engine's words and the changed fields.
    void showPreview(const QString &target, const actions::ActionResult &result);
    void showOutcome(const actions::ActionResult &result);
    void clearOutcome();
    // The engine's preview figures (rows affected, bytes freed, members before and after, new limits, …) in
    // words, one line each in a fixed order; a figure this build does not know is shown as it came.
    static QStringList describePreview(const QJsonObject &preview);
    // A count and a size as the preview words write them, for the dialog's words too.
    static QString number(qint64 value);
    static QString dataSize(qint64 bytes);

    InlineMessage *outcomeMessage() const { return m_outcome; }
    QPlainTextEdit *previewText() const { return m_previewText; }
    QTableWidget *changesTable() const { return m_changes; }

private:
    QPlainTextEdit *m_previewText = nullptr;
    QTableWidget *m_changes = nullptr;
    InlineMessage *m_outcome = nullptr;
};

} // namespace beacon::ui
