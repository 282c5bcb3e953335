#pragma once

#include <QMainWindow>

namespace beacon::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
};

} // namespace beacon::ui
