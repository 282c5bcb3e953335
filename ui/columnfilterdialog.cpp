#include "columnfilterdialog.h"
#include "plaintext.h"

#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace beacon::ui {

using Op = browse::ColumnFilter::Op;
using browse::KeyType;

static QString operatorText(Op op, KeyType type)
{
    switch (op) {
    case Op::Equals:
        return ColumnFilterDialog::tr("is");
    case Op::Contains:
        return ColumnFilterDialog::tr("contains");
    case Op::AtLeast:
        return type == KeyType::Timestamp ? ColumnFilterDialog::tr("on or after")
                                          : ColumnFilterDialog::tr("at least");
    case Op::Below:
        return type == KeyType::Timestamp ? ColumnFilterDialog::tr("before")
                                          : ColumnFilterDialog::tr("below");
    case Op::IsEmpty:
        return ColumnFilterDialog::tr("is empty");
    case Op::IsNotEmpty:
        return ColumnFilterDialog::tr("is not empty");
    }
    return {};
}

static QList<Op> operatorsFor(const browse::Column &column)
{
    QList<Op> ops;
    switch (column.type) {
    case KeyType::Text:
        ops = {Op::Contains, Op::Equals};
        break;
    case KeyType::BigInt:
    case KeyType::Numeric:
        ops = {Op::Equals, Op::AtLeast, Op::Below};
        break;
    case KeyType::Timestamp:
        ops = {Op::AtLeast, Op::Below};
        break;
    case KeyType::Boolean:
        ops = {Op::Equals};
        break;
    }
    if (column.nullable)
        ops += {Op::IsEmpty, Op::IsNotEmpty};
    return ops;
}

static bool takesValue(Op op)
{
    return op != Op::IsEmpty && op != Op::IsNotEmpty;
}

ColumnFilterDialog::ColumnFilterDialog(const browse::Column &column, int columnIndex, const QString &title,
                                       const QString &suggestedValue, QWidget *parent)
    : QDialog(parent)
    , m_column(column)
    , m_columnIndex(columnIndex)
    , m_operator(new QComboBox(this))
    , m_value(new QLineEdit(this))
    , m_problem(plainTextLabel(new QLabel(this)))
{
    setWindowTitle(tr("Filter by %1").arg(title));
    m_operator->setObjectName(QStringLiteral("filterOperator"));
    m_value->setObjectName(QStringLiteral("filterValue"));
    m_problem->setObjectName(QStringLiteral("filterProblem"));
    m_problem->setWordWrap(true);
    m_problem->setVisible(false);
    for (Op op : operatorsFor(column))
        m_operator->addItem(operatorText(op, column.type), int(op));
    switch (column.type) {
    case KeyType::Timestamp:
        m_value->setPlaceholderText(
            tr("A date such as 2026-11-28, or a time such as 2026-11-28 14:30 (UTC)"));
        break;
    case KeyType::Boolean:
        m_value->setPlaceholderText(tr("yes or no"));
        break;
    case KeyType::BigInt:
    case KeyType::Numeric:
        m_value->setPlaceholderText(tr("A number"));
        break;
    case KeyType::Text:
        break;
    }
    // A value from the selected cell is the usual start: "show only rows like this one".
    m_value->setText(suggestedValue == tr("…") ? QString() : suggestedValue);
    m_value->selectAll();

    auto *form = new QFormLayout;
    auto *columnLabel = new QLabel(title, this);
    form->addRow(tr("Column:"), columnLabel);
    auto *operatorLabel = new QLabel(tr("&Condition:"), this);
    operatorLabel->setBuddy(m_operator);
    form->addRow(operatorLabel, m_operator);
    auto *valueLabel = new QLabel(tr("&Value:"), this);
    valueLabel->setBuddy(m_value);
    form->addRow(valueLabel, m_value);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addWidget(buttons);
    connect(m_operator, &QComboBox::currentIndexChanged, this, &ColumnFilterDialog::updateValueField);
    updateValueField();
}

void ColumnFilterDialog::updateValueField()
{
    m_value->setEnabled(takesValue(filter().op));
}

static std::optional<QString> normalisedTimestamp(const QString &text)
{
    // Dates and times are read as UTC, as the console shows them; the server receives ISO 8601.
    for (const QString &format :
         {QStringLiteral("yyyy-MM-dd"), QStringLiteral("yyyy-MM-dd HH:mm"),
          QStringLiteral("yyyy-MM-dd HH:mm:ss"), QStringLiteral("yyyy-MM-ddTHH:mm:ss")}) {
        QDateTime parsed = QDateTime::fromString(text, format);
        if (parsed.isValid()) {
            parsed.setTimeSpec(Qt::UTC);
            return parsed.toString(Qt::ISODate);
        }
    }
    const QDateTime iso = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (iso.isValid())
        return iso.toUTC().toString(Qt::ISODateWithMs);
    return std::nullopt;
}

QString ColumnFilterDialog::problemWithValue() const
{
    const browse::ColumnFilter candidate = filter();
    if (!takesValue(candidate.op))
        return {};
    const QString text = m_value->text().trimmed();
    if (text.isEmpty())
        return tr("Type a value to filter by.");
    switch (m_column.type) {
    case KeyType::BigInt: {
        bool ok = false;
        text.toLongLong(&ok);
        return ok ? QString() : tr("\"%1\" is not a whole number. Type digits only, such as 42.").arg(text);
    }
    case KeyType::Numeric: {
        bool ok = false;
        text.toDouble(&ok);
        return ok ? QString() : tr("\"%1\" is not a number. Type a number such as 12.50.").arg(text);
    }
    case KeyType::Timestamp:
        return normalisedTimestamp(text) ? QString()
                                         : tr("\"%1\" is not a date. Type it as 2026-11-28, or with a time "
                                              "as 2026-11-28 14:30.")
                                               .arg(text);
    case KeyType::Boolean:
        return text == tr("yes") || text == tr("no") ? QString() : tr("Type yes or no.");
    case KeyType::Text:
        return {};
    }
    return {};
}

void ColumnFilterDialog::accept()
{
    const QString problem = problemWithValue();
    m_problem->setText(problem);
    m_problem->setVisible(!problem.isEmpty());
    if (!problem.isEmpty()) {
        m_value->setFocus();
        return;
    }
    QDialog::accept();
}

browse::ColumnFilter ColumnFilterDialog::filter() const
{
    browse::ColumnFilter result;
    result.column = m_columnIndex;
    result.op = Op(m_operator->currentData().toInt());
    if (!takesValue(result.op))
        return result;
    const QString text = m_value->text().trimmed();
    if (m_column.type == KeyType::Timestamp)
        result.value = normalisedTimestamp(text).value_or(text);
    else if (m_column.type == KeyType::Boolean)
        result.value = text == tr("yes") ? QStringLiteral("true") : QStringLiteral("false");
    else
        result.value = text;
    return result;
}

QString ColumnFilterDialog::describe(const browse::ColumnFilter &filter, const browse::Column &column,
                                     const QString &title)
{
    if (!takesValue(filter.op))
        return tr("%1 %2").arg(title, operatorText(filter.op, column.type));
    QString value = filter.value;
    if (column.type == KeyType::Boolean)
        value = value == QLatin1String("true") ? tr("yes") : tr("no");
    return tr("%1 %2 %3").arg(title, operatorText(filter.op, column.type), value);
}

} // namespace beacon::ui
