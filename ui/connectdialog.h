#pragma once

#include "billing/sessionstripe.h"
#include "db/database.h"
#include "profiles/connectionprofile.h"
#include "stripeprofilegroup.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace beacon {
class ConnectionBudget;
class DbRequester;
} // namespace beacon

namespace beacon::models {
class ConnectionProfileModel;
}

namespace beacon::ui {

class SecretStore;
class InlineMessage;

// Picks or edits a saved profile, with its Stripe key and address (StripeProfileGroup), and connects with it,
// showing any failure inline with words and copyable details. The attempt runs on the detail lane of a
// ConnectionBudget made for the typed connection, so the window that accepts the session takes over its
// connection: one login, not the dialog's and then the window's. Accepted once connected; or closed with
// demoRequested() for the demo.
class ConnectDialog : public QDialog {
    Q_OBJECT
public:
    ConnectDialog(ProfileStore *profiles, SecretStore *secrets, QWidget *parent = nullptr);
    ~ConnectDialog() override;

    const SessionProbe &session() const { return m_session; }
    // The connections of the accepted session, for the window to adopt (and parent); null before that.
    ConnectionBudget *takeConnections();
    // Answers of abandoned attempts (Stop trying, or a newer Connect) that came back and were dropped.
    int droppedAnswers() const;
    // The profile as typed; its Stripe part (whether it keeps a key, and the address) as of the last Connect.
    ConnectionProfile profile() const;
    // The accepted session's Stripe: the profile's key (typed, or from the keychain) and address, checked.
    const billing::SessionStripe &stripe() const { return m_stripe; }
    bool demoRequested() const { return m_demoRequested; }
    void selectProfile(const QString &name);

private:
    void buildUi();
    void loadSelectedProfile();
    void newProfile();
    void deleteProfile();
    void startConnecting();
    void finishConnecting(const SessionProbe &probe);
    void cancel();
    // Abandons the connections of an attempt without waiting for a connect libpq cannot interrupt.
    void discardConnections();
    void chooseCaFile();
    // Says, under the TLS mode, what the chosen mode leaves unchecked for this host.
    void updateTlsWarning();
    void setBusy(bool busy);
    void showError(const DbError &error);
    void clearError();

    ProfileStore *m_profiles;
    SecretStore *m_secrets;
    models::ConnectionProfileModel *m_model = nullptr;
    SessionProbe m_session;
    billing::SessionStripe m_stripe;
    // The Stripe group as it was when Connect was pressed, kept for when the connection succeeds.
    std::optional<StripeProfileGroup::Entry> m_connectingStripe;
    ConnectionBudget *m_connections = nullptr;
    DbRequester *m_probes = nullptr;
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
    QLineEdit *m_sslRootCert = nullptr;
    QLabel *m_tlsWarning = nullptr;
    // The loaded profile's TLS settings the dialog has no field for (client certificate, CRL, …), kept so
    // that saving it again does not drop them.
    ConnectionProfile m_loaded;
    StripeProfileGroup *m_stripeGroup = nullptr;
    InlineMessage *m_error = nullptr;
    QProgressBar *m_busyIndicator = nullptr;
    QPushButton *m_connectButton = nullptr;
    QPushButton *m_demoButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
};

} // namespace beacon::ui
