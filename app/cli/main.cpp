#include "buildinfo.h"
#include "cli/ctlapp.h"

#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Beacon"));
    QCoreApplication::setApplicationName(QStringLiteral("Beacon Admin"));
    QCoreApplication::setApplicationVersion(beacon::applicationVersion());
    QTextStream out(stdout);
    QTextStream err(stderr);
    return beacon::cli::runCtl(QCoreApplication::arguments(), out, err);
}
