#pragma once

#include "browse/keysetpager.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;

namespace beacon::ui {

// Asks for one condition on one column: the conditions its type allows, and a value checked before it is
// sent (a number for a number, a date for a time), so a typo gets words here instead of a server error.
class ColumnFilterDialog : public QDialog {
    Q_OBJECT
public:
    ColumnFilterDialog(const browse::Column &column, int columnIndex, const QString &title,
                       const QString &suggestedValue, QWidget *parent = nullptr);
    browse::ColumnFilter filter() const;

    // The words a person reads for a filter, e.g. "Plan is team" or "When before 2026-01-01".
    static QString describe(const browse::ColumnFilter &filter, const browse::Column &column,
                            const QString &title);

    void accept() override;

private:
    void updateValueField();
    // Empty when the value suits the column; otherwise what is wrong with it.
    QString problemWithValue() const;

    browse::Column m_column;
    int m_columnIndex;
    QComboBox *m_operator;
    QLineEdit *m_value;
    QLabel *m_problem;
};

} // namespace beacon::ui
