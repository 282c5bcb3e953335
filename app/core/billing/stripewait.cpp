#include "billing/stripewait.h"

#include <QEventLoop>

namespace beacon::billing {

DbError waitForCall(StripeCall *call)
{
    QEventLoop loop;
    QObject::connect(call, &StripeCall::finished, &loop, &QEventLoop::quit);
    if (!call->isFinished())
        loop.exec();
    return call->error();
}

} // namespace beacon::billing
