package linux

import mqsys "github.com/mqsentry/mqsentry/pkg/sentry/syscalls/linux"

// Msgget is mqsentry's msgget(2).
var Msgget = mqsys.Msgget

// Msgsnd is mqsentry's msgsnd(2).
var Msgsnd = mqsys.Msgsnd

// Msgrcv is mqsentry's msgrcv(2).
var Msgrcv = mqsys.Msgrcv

// Msgctl is mqsentry's msgctl(2).
var Msgctl = mqsys.Msgctl
