#pragma once

#include <QMessageBox>

namespace beacon::ui {

// Every question the console asks goes through here, so that tests can answer it in advance instead of
// facing a modal box nobody clicks.
class MessageBox {
public:
    static QMessageBox::StandardButton question(QWidget *parent, const QString &title, const QString &text,
                                                QMessageBox::StandardButtons buttons,
                                                QMessageBox::StandardButton defaultButton);
    // The next question returns this at once. For tests only.
    static void setNextAnswer(QMessageBox::StandardButton answer);

private:
    static QMessageBox::StandardButton s_nextAnswer;
};

} // namespace beacon::ui
