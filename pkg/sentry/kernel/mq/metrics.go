// Copyright 2026 The mqsentry Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package mq

import "github.com/mqsentry/mqsentry/pkg/sentry/kernel/queuestats"

// stats are the sandbox's totals over every IPC namespace, which the
// /ipc/mqueue/* metrics export (see package queuestats); a restored queue adds its messages and itself again (Queue.afterLoad, Registry.restoreCharge).
var stats queuestats.Totals

func init() {
	stats.MustRegister("/ipc/mqueue", queuestats.Descriptions{
		Queues:   "POSIX message queues that exist (named, or unlinked but still open).",
		Messages: "Messages queued in POSIX message queues.",
		Bytes:    "Bytes of message text queued in POSIX message queues (the sum of QSIZE).",
		Sent:     "Messages sent to POSIX message queues since the sandbox started.",
		Received: "Messages received from POSIX message queues since the sandbox started.",
		Blocked:  "Tasks blocked in mq_timedsend (op=send) or mq_timedreceive (op=receive).",
	})
}
