#pragma once

#include "db/database.h"
#include "profiles/connectionprofile.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace beacon::models {
class ConnectionProfileModel;
}

namespace beacon::ui {

class SecretStore;
class InlineMessage;

// Picks or edits a saved profile and connects with it, on a worker thread, showing any failure inline with
// words and copyable details. Accepted once connected; or closed with demoRequested() for the demo.
class ConnectDialog : public QDialog {
    Q_OBJECT
public:
    ConnectDialog(ProfileStore *profiles, SecretStore *secrets, QWidget *parent = nullptr);

    const SessionProbe &session() const { return m_session; }
    ConnectionProfile profile() const;
    bool demoRequested() const { return m_demoRequested; }
    void selectProfile(const QString &name);

private:
    void buildUi();
    void loadSelectedProfile();
    void newProfile();
    void deleteProfile();
    void startConnecting();
    void finishConnecting(const SessionProbe &probe, quint64 attempt);
    void cancel();
    void setBusy(bool busy);
    void showError(const DbError &error);
    void clearError();

    ProfileStore *m_profiles;
    SecretStore *m_secrets;
    models::ConnectionProfileModel *m_model = nullptr;
    SessionProbe m_session;
    quint64 m_attempt = 0;
    bool m_busy = false;
    bool m_demoRequested = false;

    QListView *m_profileList = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_host = nullptr;
    QSpinBox *m_port = nullptr;
    QLineEdit *m_database = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_password = nullptr;
    QCheckBox *m_remember = nullptr;
    QComboBox *m_sslMode = nullptr;
    QCheckBox *m_production = nullptr;
    InlineMessage *m_error = nullptr;
    QProgressBar *m_busyIndicator = nullptr;
    QPushButton *m_connectButton = nullptr;
    QPushButton *m_demoButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
};

} // namespace beacon::ui
