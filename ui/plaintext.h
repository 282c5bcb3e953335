#pragma once

#include <QLabel>
#include <QString>

namespace beacon::ui {

// Text from the database or from Stripe (names, slugs, e-mails, actors, reasons, error messages quoting
// them) is never markup. A QLabel left at Qt::AutoText renders "<b>x</b><img src=…>" as rich text, and so
// does a tooltip whenever Qt::mightBeRichText() guesses it is.
inline QLabel *plainTextLabel(QLabel *label)
{
    label->setTextFormat(Qt::PlainText);
    return label;
}

// A tooltip that shows `text` exactly as written, line breaks included.
inline QString plainToolTip(const QString &text)
{
    if (text.isEmpty())
        return text;
    return QStringLiteral("<p style='white-space:pre-wrap'>") + text.toHtmlEscaped() + QStringLiteral("</p>");
}

} // namespace beacon::ui
