package linux

import mqsys "github.com/mqsentry/mqsentry/pkg/sentry/syscalls/linux"

// MqOpen is mqsentry's mq_open(2).
var MqOpen = mqsys.MqOpen

// MqUnlink is mqsentry's mq_unlink(2).
var MqUnlink = mqsys.MqUnlink
