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

package msgqueue

import "github.com/mqsentry/mqsentry/pkg/sentry/kernel/queuestats"

// stats are the sandbox's totals over every IPC namespace, which the
// /ipc/msg/* metrics export (see package queuestats); a restored live queue adds itself and its messages again (Queue.afterLoad).
var stats queuestats.Totals

func init() {
	stats.MustRegister("/ipc/msg", queuestats.Descriptions{
		Queues:   "System V message queues that exist.",
		Messages: "Messages queued in System V message queues.",
		Bytes:    "Bytes of message text queued in System V message queues (the sum of msg_cbytes).",
		Sent:     "Messages sent by msgsnd since the sandbox started.",
		Received: "Messages received by msgrcv (not MSG_COPY) since the sandbox started.",
		Blocked:  "Tasks blocked in msgsnd (op=send) or msgrcv (op=receive).",
	})
}
