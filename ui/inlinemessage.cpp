#include "inlinemessage.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace beacon::ui {

namespace {

// Strong enough to tell the types apart at a glance, faint enough that the palette's text stays readable
// on it in light and dark themes alike.
constexpr float TintStrength = 0.16f;

QColor mixed(const QColor &base, const QColor &accent, float amount)
{
    return QColor::fromRgbF(base.redF() + (accent.redF() - base.redF()) * amount,
                            base.greenF() + (accent.greenF() - base.greenF()) * amount,
                            base.blueF() + (accent.blueF() - base.blueF()) * amount);
}

QString typeName(InlineMessage::Type type)
{
    switch (type) {
    case InlineMessage::Type::Information:
        return InlineMessage::tr("Information");
    case InlineMessage::Type::Positive:
        return InlineMessage::tr("Done");
    case InlineMessage::Type::Warning:
        return InlineMessage::tr("Warning");
    case InlineMessage::Type::Error:
        return InlineMessage::tr("Error");
    }
    return {};
}

QStyle::StandardPixmap iconFor(InlineMessage::Type type)
{
    switch (type) {
    case InlineMessage::Type::Information:
        return QStyle::SP_MessageBoxInformation;
    case InlineMessage::Type::Positive:
        return QStyle::SP_DialogApplyButton;
    case InlineMessage::Type::Warning:
        return QStyle::SP_MessageBoxWarning;
    case InlineMessage::Type::Error:
        break;
    }
    return QStyle::SP_MessageBoxCritical;
}

QLabel *selectableLabel(const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    // QLabel takes keyboard selection as click focus only; a tab stop lets the words be reached and copied
    // without a mouse.
    label->setFocusPolicy(Qt::StrongFocus);
    return label;
}

} // namespace

InlineMessage::InlineMessage(QWidget *parent)
    : InlineMessage(Type::Information, parent)
{}

InlineMessage::InlineMessage(Type type, QWidget *parent)
    : QFrame(parent)
    , m_type(type)
    , m_icon(new QLabel(this))
    , m_text(selectableLabel(QStringLiteral("messageText"), this))
    , m_details(selectableLabel(QStringLiteral("messageDetails"), this))
    , m_detailsToggle(new QToolButton(this))
    , m_closeButton(new QToolButton(this))
    , m_buttons(new QHBoxLayout)
{
    setObjectName(QStringLiteral("inlineMessage"));
    setVisible(false);
    m_icon->setObjectName(QStringLiteral("messageIcon"));
    m_details->setVisible(false);

    m_detailsToggle->setObjectName(QStringLiteral("messageDetailsToggle"));
    m_detailsToggle->setText(tr("&Details"));
    m_detailsToggle->setToolTip(tr("Show what support needs to look this up"));
    m_detailsToggle->setCheckable(true);
    m_detailsToggle->setVisible(false);
    connect(m_detailsToggle, &QToolButton::toggled, this, &InlineMessage::updateDetailsVisibility);

    m_closeButton->setObjectName(QStringLiteral("messageClose"));
    m_closeButton->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton, nullptr, this));
    m_closeButton->setAutoRaise(true);
    m_closeButton->setToolTip(tr("Close this message (Escape)"));
    m_closeButton->setAccessibleName(tr("Close message"));
    m_closeButton->setVisible(false);
    connect(m_closeButton, &QToolButton::clicked, this, &InlineMessage::closeByPerson);

    auto *words = new QVBoxLayout;
    words->setContentsMargins(0, 0, 0, 0);
    words->addWidget(m_text);
    words->addWidget(m_details);
    m_buttons->setContentsMargins(0, 0, 0, 0);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 6);
    layout->addWidget(m_icon, 0, Qt::AlignTop);
    layout->addLayout(words, 1);
    layout->addWidget(m_detailsToggle, 0, Qt::AlignTop);
    layout->addLayout(m_buttons);
    layout->addWidget(m_closeButton, 0, Qt::AlignTop);
    updateLook();
}

InlineMessage::~InlineMessage() = default;

void InlineMessage::setType(Type type)
{
    if (m_type == type)
        return;
    m_type = type;
    updateLook();
}

QString InlineMessage::text() const
{
    return m_text->text();
}

void InlineMessage::setText(const QString &text)
{
    m_text->setText(text);
    setAccessibleDescription(text);
}

QString InlineMessage::details() const
{
    return m_details->text();
}

void InlineMessage::setDetails(const QString &details)
{
    m_details->setText(details);
    m_detailsToggle->setChecked(false);
    updateDetailsVisibility();
}

void InlineMessage::setDetailsFolded(bool folded)
{
    m_detailsFolded = folded;
    updateDetailsVisibility();
}

void InlineMessage::setCloseButtonVisible(bool visible)
{
    m_closeButton->setVisible(visible);
}

void InlineMessage::setProminent(bool prominent)
{
    m_prominent = prominent;
    QFont font = m_text->font();
    font.setBold(prominent);
    font.setPointSizeF(prominent ? QFont().pointSizeF() * 1.4 : QFont().pointSizeF());
    m_text->setFont(font);
    m_text->setAlignment(prominent ? Qt::AlignCenter : Qt::AlignLeft | Qt::AlignVCenter);
    updateLook();
}

QPushButton *InlineMessage::addButton(const QString &text)
{
    auto *button = new QPushButton(text, this);
    m_buttons->addWidget(button, 0, Qt::AlignTop);
    m_addedButtons.append(button);
    return button;
}

void InlineMessage::clearButtons()
{
    qDeleteAll(m_addedButtons);
    m_addedButtons.clear();
}

void InlineMessage::showMessage(Type type, const QString &text, const QString &details)
{
    setType(type);
    setText(text);
    setDetails(details);
    setVisible(true);
}

void InlineMessage::showError(const DbError &error)
{
    showMessage(Type::Error, error.message, supportDetails(error));
}

QString InlineMessage::supportDetails(const DbError &error)
{
    const QString serverText = error.details.trimmed();
    if (error.sqlState.isEmpty())
        return serverText;
    if (serverText.isEmpty())
        return tr("SQLSTATE %1").arg(error.sqlState);
    return tr("SQLSTATE %1: %2").arg(error.sqlState, serverText);
}

void InlineMessage::clear()
{
    setVisible(false);
    setText({});
    setDetails({});
}

void InlineMessage::closeByPerson()
{
    setVisible(false);
    emit closed();
}

void InlineMessage::updateDetailsVisibility()
{
    const bool hasDetails = !m_details->text().isEmpty();
    m_detailsToggle->setVisible(hasDetails && m_detailsFolded);
    m_details->setVisible(hasDetails && (!m_detailsFolded || m_detailsToggle->isChecked()));
}

QColor InlineMessage::accentColor() const
{
    switch (m_type) {
    case Type::Information:
        return palette().color(QPalette::Highlight);
    case Type::Positive:
        return QColor(0x2e, 0x7d, 0x32);
    case Type::Warning:
        return QColor(0xd9, 0x7a, 0x00);
    case Type::Error:
        break;
    }
    return QColor(0xb0, 0x00, 0x20);
}

void InlineMessage::updateLook()
{
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this) * 3 / 2;
    m_icon->setPixmap(style()->standardIcon(iconFor(m_type), nullptr, this).pixmap(size, size));
    m_icon->setVisible(!m_prominent);
    setAccessibleName(typeName(m_type));

    // On the full accent the palette's text may vanish; pick whichever of black and white stands out.
    QColor textColor = palette().color(QPalette::WindowText);
    if (m_prominent)
        textColor = accentColor().lightnessF() < 0.6 ? QColor(Qt::white) : QColor(Qt::black);
    for (QLabel *label : {m_text, m_details}) {
        QPalette labelPalette = label->palette();
        labelPalette.setColor(QPalette::WindowText, textColor);
        label->setPalette(labelPalette);
    }
    update();
}

void InlineMessage::paintEvent(QPaintEvent *)
{
    const QColor accent = accentColor();
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(accent, 1));
    painter.setBrush(m_prominent ? accent : mixed(palette().color(QPalette::Window), accent, TintStrength));
    painter.drawRoundedRect(QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4);
}

void InlineMessage::changeEvent(QEvent *event)
{
    QFrame::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        updateLook();
}

void InlineMessage::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Escape && m_closeButton->isVisible()) {
        closeByPerson();
        event->accept();
        return;
    }
    QFrame::keyPressEvent(event);
}

} // namespace beacon::ui
