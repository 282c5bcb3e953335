#pragma once

#include "actions/action.h"

#include <QWidget>

#include <optional>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLineEdit;
class QSpinBox;

namespace beacon::ui {

// The fields of one admin action, filled from the selection, and the reason: what a person types before a
// preview. It knows which fields each action has and what is missing before a preview can run; the dialog
// around it decides when to preview and apply.
class ActionForm : public QWidget {
    Q_OBJECT
public:
    ActionForm(actions::ActionKind kind, const actions::ActionRequest &prefill, QWidget *parent = nullptr);
    ~ActionForm() override;

    // Puts the fields' values and the trimmed reason into `request`; the rest of it is left alone.
    void fillRequest(actions::ActionRequest *request) const;
    // What is missing before a preview can run, in words; empty when the fields are complete.
    QString missingInput() const;
    QString reason() const;
    QLineEdit *reasonEdit() const { return m_reason; }
    // The action's own fields, in order on screen (not the reason).
    const QList<QWidget *> &fields() const { return m_fields; }
    void setFieldsEnabled(bool enabled);
    // Nothing can be changed any more: the action is done.
    void lock();
    // Where the person starts typing: the first empty id field, else the reason.
    QWidget *firstToFill() const;
    // Actions on one workspace carry its version from the preview to the apply.
    static bool worksOnOneWorkspace(actions::ActionKind kind);

signals:
    // A field that changes what the action does was edited (not the reason).
    void edited();
    void reasonChanged();

private:
    void buildFields(const actions::ActionRequest &prefill, QFormLayout *form);
    QLineEdit *idField(const QString &objectName, std::optional<qint64> value);
    QLineEdit *stripeIdField(const QString &objectName, const QString &prefix, const QString &value);

    actions::ActionKind m_kind;
    QList<QWidget *> m_fields;
    QLineEdit *m_workspace = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_project = nullptr;
    QLineEdit *m_file = nullptr;
    QLineEdit *m_customer = nullptr;
    QLineEdit *m_subscription = nullptr;
    QLineEdit *m_keep = nullptr;
    QLineEdit *m_merge = nullptr;
    QComboBox *m_plan = nullptr;
    QCheckBox *m_overQuota = nullptr;
    QComboBox *m_proration = nullptr;
    QComboBox *m_readOnly = nullptr;
    QComboBox *m_role = nullptr;
    QSpinBox *m_days = nullptr;
    QSpinBox *m_batch = nullptr;
    QLineEdit *m_reason = nullptr;
};

} // namespace beacon::ui
