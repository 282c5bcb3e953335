#include "connectdialog.h"

#include "inlinemessage.h"

#include "connectflow.h"
#include "connectionprofilemodel.h"
#include "db/connectionbudget.h"
#include "messagebox.h"
#include "secretstore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace beacon::ui {

ConnectDialog::ConnectDialog(ProfileStore *profiles, SecretStore *secrets, QWidget *parent)
    : QDialog(parent)
    , m_profiles(profiles)
    , m_secrets(secrets)
    , m_probes(new DbRequester(this))
{
    setWindowTitle(tr("Connect to a Beacon database"));
    buildUi();
    if (m_model->rowCount() == 0)
        newProfile();
    selectProfile(m_profiles->lastUsed());
}

ConnectDialog::~ConnectDialog()
{
    discardConnections();
}

ConnectionBudget *ConnectDialog::takeConnections()
{
    ConnectionBudget *connections = m_connections;
    if (connections)
        connections->setParent(nullptr);
    m_connections = nullptr;
    m_probes->setWorker(nullptr);
    return connections;
}

int ConnectDialog::droppedAnswers() const
{
    return m_probes->droppedReplies();
}

void ConnectDialog::discardConnections()
{
    if (!m_connections)
        return;
    m_probes->setWorker(nullptr);
    m_connections->shutDown(DbWorker::Shutdown::InBackground);
    m_connections->deleteLater();
    m_connections = nullptr;
}

void ConnectDialog::buildUi()
{
    m_model = new models::ConnectionProfileModel(m_profiles, this);
    m_profileList = new QListView(this);
    m_profileList->setObjectName(QStringLiteral("profileList"));
    m_profileList->setModel(m_model);
    m_profileList->setEditTriggers(QAbstractItemView::NoEditTriggers);
    connect(m_profileList->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &ConnectDialog::loadSelectedProfile);
    auto *newButton = new QPushButton(tr("&New"), this);
    newButton->setObjectName(QStringLiteral("newProfileButton"));
    connect(newButton, &QPushButton::clicked, this, &ConnectDialog::newProfile);
    auto *deleteButton = new QPushButton(tr("De&lete…"), this);
    deleteButton->setObjectName(QStringLiteral("deleteProfileButton"));
    connect(deleteButton, &QPushButton::clicked, this, &ConnectDialog::deleteProfile);
    auto *listButtons = new QHBoxLayout;
    listButtons->addWidget(newButton);
    listButtons->addWidget(deleteButton);
    auto *listColumn = new QVBoxLayout;
    auto *profilesLabel = new QLabel(tr("Saved &profiles:"), this);
    profilesLabel->setBuddy(m_profileList);
    listColumn->addWidget(profilesLabel);
    listColumn->addWidget(m_profileList);
    listColumn->addLayout(listButtons);

    auto field = [this](const char *name) {
        auto *edit = new QLineEdit(this);
        edit->setObjectName(QLatin1String(name));
        return edit;
    };
    m_name = field("profileName");
    m_host = field("host");
    m_host->setPlaceholderText(tr("host name, or the folder of a unix socket; empty: the local socket"));
    m_port = new QSpinBox(this);
    m_port->setObjectName(QStringLiteral("port"));
    m_port->setRange(1, 65535);
    m_port->setValue(5432);
    m_database = field("database");
    m_user = field("user");
    m_password = field("password");
    m_password->setEchoMode(QLineEdit::Password);
    m_remember = new QCheckBox(tr("&Remember the password in the system keychain"), this);
    m_remember->setObjectName(QStringLiteral("rememberPassword"));
    m_sslMode = new QComboBox(this);
    m_sslMode->setObjectName(QStringLiteral("sslMode"));
    const QStringList modes = {QStringLiteral("disable"),   QStringLiteral("allow"),
                               QStringLiteral("prefer"),    QStringLiteral("require"),
                               QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
    m_sslMode->addItems(modes);
    m_sslMode->setCurrentText(QStringLiteral("require"));
    m_sslRootCert = field("sslRootCert");
    m_sslRootCert->setPlaceholderText(
        tr("the CA certificate that signed the server's; empty: libpq's default"));
    auto *chooseCaButton = new QPushButton(tr("C&hoose…"), this);
    chooseCaButton->setObjectName(QStringLiteral("chooseCaFileButton"));
    connect(chooseCaButton, &QPushButton::clicked, this, &ConnectDialog::chooseCaFile);
    auto *caRow = new QHBoxLayout;
    caRow->addWidget(m_sslRootCert, 1);
    caRow->addWidget(chooseCaButton);
    m_tlsWarning = new QLabel(this);
    m_tlsWarning->setObjectName(QStringLiteral("tlsWarning"));
    m_tlsWarning->setWordWrap(true);
    m_production = new QCheckBox(tr("This is a &production database (shows a red banner)"), this);
    m_production->setObjectName(QStringLiteral("production"));
    // Production means the server is checked: the mode moves to verify-full (the person may still choose
    // require; anything weaker is refused when connecting).
    connect(m_production, &QCheckBox::toggled, this, [this](bool production) {
        if (production && !m_sslMode->currentText().startsWith(QLatin1String("verify")))
            m_sslMode->setCurrentText(QStringLiteral("verify-full"));
    });
    connect(m_sslMode, &QComboBox::currentTextChanged, this, &ConnectDialog::updateTlsWarning);
    connect(m_host, &QLineEdit::textChanged, this, &ConnectDialog::updateTlsWarning);
    m_stripeGroup = new StripeProfileGroup(m_secrets, this);

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Host:"), m_host);
    form->addRow(tr("P&ort:"), m_port);
    form->addRow(tr("&Database:"), m_database);
    form->addRow(tr("&User:"), m_user);
    form->addRow(tr("Pass&word:"), m_password);
    form->addRow(QString(), m_remember);
    form->addRow(tr("&TLS:"), m_sslMode);
    auto *caLabel = new QLabel(tr("CA &file:"), this);
    caLabel->setBuddy(m_sslRootCert);
    form->addRow(caLabel, caRow);
    form->addRow(QString(), m_tlsWarning);
    form->addRow(QString(), m_production);

    auto *profileColumn = new QVBoxLayout;
    profileColumn->addLayout(form);
    profileColumn->addWidget(m_stripeGroup);
    auto *columns = new QHBoxLayout;
    columns->addLayout(listColumn, 1);
    columns->addLayout(profileColumn, 2);

    // Errors are shown here, inside the dialog, so that the person can fix the field and try again.
    m_error = new InlineMessage(InlineMessage::Type::Error, this);
    m_error->setObjectName(QStringLiteral("errorBanner"));
    m_error->textLabel()->setObjectName(QStringLiteral("errorMessage"));
    m_error->detailsLabel()->setObjectName(QStringLiteral("errorDetails"));
    m_error->detailsToggle()->setObjectName(QStringLiteral("errorDetailsToggle"));
    m_error->setDetailsFolded(true);

    m_busyIndicator = new QProgressBar(this);
    m_busyIndicator->setObjectName(QStringLiteral("busyIndicator"));
    m_busyIndicator->setRange(0, 0);
    m_busyIndicator->setTextVisible(false);
    m_busyIndicator->setMaximumHeight(8);

    auto *buttons = new QDialogButtonBox(this);
    m_connectButton = buttons->addButton(tr("&Connect"), QDialogButtonBox::AcceptRole);
    m_connectButton->setObjectName(QStringLiteral("connectButton"));
    m_connectButton->setDefault(true);
    m_demoButton = buttons->addButton(tr("Open the &demo database"), QDialogButtonBox::ActionRole);
    m_demoButton->setObjectName(QStringLiteral("demoButton"));
    m_cancelButton = buttons->addButton(QDialogButtonBox::Cancel);
    m_cancelButton->setObjectName(QStringLiteral("cancelButton"));
    connect(m_connectButton, &QPushButton::clicked, this, &ConnectDialog::startConnecting);
    connect(m_cancelButton, &QPushButton::clicked, this, &ConnectDialog::cancel);
    connect(m_demoButton, &QPushButton::clicked, this, [this] {
        m_demoRequested = true;
        QDialog::reject();
    });

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(columns);
    layout->addWidget(m_error);
    layout->addWidget(m_busyIndicator);
    layout->addWidget(buttons);
    clearError();
    setBusy(false);
}

ConnectionProfile ConnectDialog::profile() const
{
    ConnectionProfile profile;
    profile.name = m_name->text().trimmed();
    profile.host = m_host->text().trimmed();
    profile.port = m_port->value();
    profile.database = m_database->text().trimmed();
    profile.user = m_user->text().trimmed();
    profile.sslMode = m_sslMode->currentText();
    profile.sslRootCert = m_sslRootCert->text().trimmed();
    if (m_loaded.name == profile.name) {
        profile.sslCert = m_loaded.sslCert;
        profile.sslKey = m_loaded.sslKey;
        profile.sslCrl = m_loaded.sslCrl;
        profile.channelBinding = m_loaded.channelBinding;
        profile.requireAuth = m_loaded.requireAuth;
    }
    profile.production = m_production->isChecked();
    profile.rememberPassword = m_remember->isChecked();
    if (const auto stripe = m_connectingStripe) {
        profile.hasStripeKey = stripe->keepsKey();
        profile.stripeApiBase = stripe->apiBase;
    }
    return profile;
}

void ConnectDialog::selectProfile(const QString &name)
{
    const int row = m_model->rowOf(name);
    if (row >= 0)
        m_profileList->setCurrentIndex(m_model->index(row));
    else if (m_model->rowCount() > 0)
        m_profileList->setCurrentIndex(m_model->index(0));
}

void ConnectDialog::loadSelectedProfile()
{
    const auto profile = m_profiles->profile(m_model->nameAt(m_profileList->currentIndex().row()));
    if (!profile)
        return;
    m_name->setText(profile->name);
    m_host->setText(profile->host);
    m_port->setValue(profile->port);
    m_database->setText(profile->database);
    m_user->setText(profile->user);
    m_loaded = *profile;
    // Loading a production profile must not move its mode: what the file says is what is checked.
    m_production->setChecked(profile->production);
    // A mode the settings file got wrong is not replaced by whatever the list showed before: the list
    // shows none, and the error says what the file holds.
    m_sslMode->setCurrentIndex(m_sslMode->findText(profile->sslMode));
    m_sslRootCert->setText(profile->sslRootCert);
    m_remember->setChecked(profile->rememberPassword);
    m_password->clear();
    clearError();
    if (const QString problem = profile->spec({}).problem(); !problem.isEmpty())
        showError(DbError::make(
            ErrorKind::Usage,
            tr("The saved profile \"%1\" cannot be used as it is: %2").arg(profile->name, problem),
            tr("Settings file: %1").arg(m_profiles->fileName())));
    const QString expectedName = profile->name;
    // The keychain may answer after the dialog has closed, or after the person moved to another profile.
    QPointer<ConnectDialog> self(this);
    ConnectFlow::readPassword(m_secrets, *profile,
                              [self, expectedName](std::optional<QString> secret, const DbError &problem) {
                                  if (!self || self->m_name->text().trimmed() != expectedName)
                                      return;
                                  if (secret)
                                      self->m_password->setText(*secret);
                                  else if (problem)
                                      self->showError(problem);
                              });
    // Asked after the password, so that its answer, and any problem with it, comes first.
    m_stripeGroup->load(*profile, [self](const DbError &problem) {
        // The password's problem, shown first, matters more for connecting; the group says the rest.
        if (self && !self->m_error->isVisible())
            self->showError(problem);
    });
}

void ConnectDialog::newProfile()
{
    m_profileList->clearSelection();
    m_profileList->setCurrentIndex({});
    // A new profile starts from what libpq itself would use, so that a local server needs no typing.
    const ConnectionSpec defaults = ConnectionSpec::fromEnvironment();
    m_name->clear();
    m_password->clear();
    m_host->setText(defaults.host);
    m_database->setText(defaults.database);
    m_user->setText(defaults.user);
    m_port->setValue(defaults.port);
    m_loaded = {};
    m_production->setChecked(false);
    m_sslRootCert->clear();
    m_sslMode->setCurrentText(ConnectionProfile::defaultSslMode(false, {}));
    m_remember->setChecked(false);
    m_stripeGroup->clear();
    clearError();
    m_name->setFocus();
}

void ConnectDialog::deleteProfile()
{
    const QString name = m_model->nameAt(m_profileList->currentIndex().row());
    if (name.isEmpty())
        return;
    const auto answer = MessageBox::question(
        this, tr("Delete profile"),
        tr("Delete the connection profile \"%1\" with its saved password and Stripe key? The database itself "
           "is not touched.")
            .arg(name),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
    if (answer != QMessageBox::Yes)
        return;
    const auto removed = m_profiles->profile(name);
    m_profiles->remove(name);
    if (removed && removed->rememberPassword)
        m_secrets->remove(removed->secretKey());
    if (removed && removed->hasStripeKey)
        m_secrets->remove(removed->stripeKeySecretKey(), {}, SecretStore::Kind::StripeKey);
    m_model->reload();
    newProfile();
    selectProfile({});
}

void ConnectDialog::startConnecting()
{
    const ConnectionProfile entered = profile();
    // An empty host is libpq's default, the local unix socket, which is what a new profile starts with.
    if (entered.database.isEmpty() || entered.user.isEmpty()) {
        showError(DbError::make(ErrorKind::Usage, tr("Fill in the database and the user name.")));
        return;
    }
    // The same checks Connection::open makes, here so that they show before anything is sent.
    if (const QString problem = entered.spec({}).problem(); !problem.isEmpty()) {
        showError(DbError::make(ErrorKind::Usage, problem));
        return;
    }
    // The Stripe fields are checked before connecting, so that what is saved with the profile is usable.
    DbError stripeError;
    m_connectingStripe = m_stripeGroup->entry(&stripeError);
    if (!m_connectingStripe) {
        showError(stripeError);
        return;
    }
    clearError();
    setBusy(true);
    const ConnectionSpec spec = entered.spec(m_password->text());
    discardConnections();
    m_connections = new ConnectionBudget(spec, this);
    m_probes->setWorker(m_connections->worker(DbLane::Detail));
    m_probes->run<SessionProbe>(
        m_probes->supersede(),
        [spec](const QSqlDatabase &db, SessionProbe &probe) {
            probe = probeOpenSession(db, spec);
            return probe.error;
        },
        [this, spec](SessionProbe probe, const DbError &error) {
            probe.spec = spec;
            if (error)
                probe.error = error; // the connection itself failed, before the probe could run
            finishConnecting(probe);
        });
}

void ConnectDialog::finishConnecting(const SessionProbe &probe)
{
    setBusy(false);
    if (probe.error) {
        discardConnections();
        showError(probe.error);
        return;
    }
    m_session = probe;
    const ConnectionProfile entered = profile();
    if (!entered.name.isEmpty()) {
        const auto previous = m_profiles->profile(entered.name);
        m_profiles->save(entered);
        m_profiles->setLastUsed(entered.name);
        // The keychain is only touched when remembering was asked for, so that a machine without one
        // never complains about a password nobody wanted kept.
        if (entered.rememberPassword)
            m_secrets->write(entered.secretKey(), m_password->text());
        else if (previous && previous->rememberPassword)
            m_secrets->remove(entered.secretKey());
        // Likewise the Stripe key: written when the profile keeps one in hand; a saved key the keychain
        // did not hand over is left where it is.
        if (m_connectingStripe->key)
            m_secrets->write(
                entered.stripeKeySecretKey(),
                QString::fromLatin1(m_connectingStripe->key->secretForTransport()),
                [profiles = m_profiles, name = entered.name](const QString &error) {
                    // As the keychain's problem says: next time the profile has no key, rather than one the
                    // keychain cannot find. The profile store outlives the secret store, which calls back
                    // only while it lives.
                    if (error.isEmpty())
                        return;
                    if (auto saved = profiles->profile(name); saved && saved->hasStripeKey) {
                        saved->hasStripeKey = false;
                        profiles->save(*saved);
                    }
                },
                SecretStore::Kind::StripeKey);
        else if (!entered.hasStripeKey && previous && previous->hasStripeKey)
            m_secrets->remove(entered.stripeKeySecretKey(), {}, SecretStore::Kind::StripeKey);
    }
    m_stripe = billing::stripeForProfile(entered, m_connectingStripe->key, m_connectingStripe->keyProblem);
    accept();
}

void ConnectDialog::chooseCaFile()
{
    // Qt's own dialog rather than the platform's: the same on every system, and reachable by keyboard.
    auto *picker = new QFileDialog(this, tr("Choose the CA certificate of the database server"));
    picker->setObjectName(QStringLiteral("caFileDialog"));
    picker->setAttribute(Qt::WA_DeleteOnClose);
    picker->setOption(QFileDialog::DontUseNativeDialog);
    picker->setFileMode(QFileDialog::ExistingFile);
    picker->setNameFilters({tr("Certificates (*.crt *.pem *.cer)"), tr("All files (*)")});
    if (const QString current = m_sslRootCert->text().trimmed(); !current.isEmpty())
        picker->selectFile(current);
    connect(picker, &QFileDialog::fileSelected, this, [this](const QString &file) {
        m_sslRootCert->setText(QDir::toNativeSeparators(file));
        // With the CA at hand, the server can be checked fully: that is the default then.
        if (!m_sslMode->currentText().startsWith(QLatin1String("verify")))
            m_sslMode->setCurrentText(QStringLiteral("verify-full"));
        m_sslRootCert->setFocus();
    });
    picker->open();
}

void ConnectDialog::updateTlsWarning()
{
    ConnectionSpec spec;
    spec.host = m_host->text().trimmed();
    spec.sslMode = m_sslMode->currentText();
    const QString warning = spec.tlsWarning();
    m_tlsWarning->setText(warning);
    m_tlsWarning->setVisible(!warning.isEmpty());
}

void ConnectDialog::cancel()
{
    if (m_busy) {
        // libpq cannot be interrupted mid-connect; connect_timeout bounds the attempt, and its answer is
        // dropped when it arrives.
        discardConnections();
        setBusy(false);
        return;
    }
    reject();
}

void ConnectDialog::setBusy(bool busy)
{
    m_busy = busy;
    m_busyIndicator->setVisible(busy);
    m_connectButton->setEnabled(!busy);
    m_demoButton->setEnabled(!busy);
    m_cancelButton->setText(busy ? tr("&Stop trying") : tr("Cancel"));
}

void ConnectDialog::showError(const DbError &error)
{
    m_error->showError(error);
}

void ConnectDialog::clearError()
{
    m_error->clear();
}

} // namespace beacon::ui
