#pragma once

#include "db/dberror.h"

#include <QFrame>

class QHBoxLayout;
class QLabel;
class QPushButton;
class QToolButton;

namespace beacon::ui {

// A message inside a window or dialog, where the person is looking, instead of a box to click away: the
// console's one way to show banners, errors and outcomes. Its type picks an icon and a tint of the palette,
// so that it reads the same in light and dark themes. The text says what happened and what to do; the
// details (the SQLSTATE and the server's own words) sit beneath it, selectable with the mouse and the
// keyboard, for support to copy. It appears and disappears at once: an error that slides in is one that
// tests and screen readers see late.
class InlineMessage : public QFrame {
    Q_OBJECT
public:
    enum class Type { Information, Positive, Warning, Error };
    Q_ENUM(Type)

    explicit InlineMessage(QWidget *parent = nullptr);
    explicit InlineMessage(Type type, QWidget *parent = nullptr);
    ~InlineMessage() override;

    Type type() const { return m_type; }
    void setType(Type type);
    QString text() const;
    void setText(const QString &text);
    QString details() const;
    // Empty details hide the details line (and its toggle).
    void setDetails(const QString &details);
    // Folded details wait behind a "Details" toggle, folded again whenever they change: for text that only
    // support needs. Unfolded (the default) they show beneath the text.
    void setDetailsFolded(bool folded);
    bool detailsFolded() const { return m_detailsFolded; }
    // A close button (and Escape, while focus is inside) hides the message and emits closed().
    void setCloseButtonVisible(bool visible);
    // Filled with the type's full colour and large bold text, for what must not be missed: a production
    // database.
    void setProminent(bool prominent);
    bool isProminent() const { return m_prominent; }

    // A button at the message's end, for what the person can do about it (e.g. "Retry"); connect to its
    // clicked() signal. The message owns it.
    QPushButton *addButton(const QString &text);
    void clearButtons();

    // Sets the type, text and details, and shows the message.
    void showMessage(Type type, const QString &text, const QString &details = {});
    // An error's words as the text, its SQLSTATE and the server's words as the details.
    void showError(const DbError &error);
    // "SQLSTATE 57014: canceling statement…": what support needs from an error; empty when it has neither.
    static QString supportDetails(const DbError &error);
    // The message and its details hidden, and emptied.
    void clear();

    // The parts, for object names that tests look up and for tab orders.
    QLabel *textLabel() const { return m_text; }
    QLabel *detailsLabel() const { return m_details; }
    QToolButton *detailsToggle() const { return m_detailsToggle; }
    QToolButton *closeButton() const { return m_closeButton; }

signals:
    // The person closed it, with the button or Escape.
    void closed();

protected:
    void paintEvent(QPaintEvent *event) override;
    void changeEvent(QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    void closeByPerson();
    void updateLook();
    void updateDetailsVisibility();
    QColor accentColor() const;

    Type m_type = Type::Information;
    bool m_prominent = false;
    bool m_detailsFolded = false;
    QLabel *m_icon;
    QLabel *m_text;
    QLabel *m_details;
    QToolButton *m_detailsToggle;
    QToolButton *m_closeButton;
    QHBoxLayout *m_buttons;
    QList<QPushButton *> m_addedButtons;
};

} // namespace beacon::ui
