#include "mainwindow.h"

namespace beacon::ui {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent) {
    setWindowTitle(tr("Beacon Admin"));
}

} // namespace beacon::ui
