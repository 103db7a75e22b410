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

// The IPC namespace's message queue limits are read where Linux reads them,
// so a value written to /proc/sys after the namespace has had traffic
// governs the next call:
//   - kernel/msgmax: every msgsnd (ipc/msg.c do_msgsnd reads msg_ctlmax);
//   - kernel/msgmnb: the qbytes of queues msgget creates next, and the
//     most msgctl(IPC_SET) may set without CAP_SYS_RESOURCE;
//   - kernel/msgmni: the next msgget that creates a queue;
//   - fs/mqueue/msg_max, msgsize_max, msg_default, msgsize_default,
//     queues_max: the next mq_open that creates a queue (ipc/mqueue.c
//     mqueue_create_attr, mq_attr_ok, mqueue_get_inode); queues made before
//     keep their geometry.
//
// Each case runs in a child that enters a new user and IPC namespace as its
// root (test_util.h ChildEnterOwnIpcNamespaceAsItsRoot), so that natively
// it changes only its own namespace's limits, and Linux's capable()
// exemptions (CAP_SYS_RESOURCE in the initial user namespace) do not hide
// them. A save point before the write checks that the restored namespace
// still reads the limits anew; one after it, that the new value is kept.
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "test_util.h"

namespace {

using ::mqtest::ChildEnterOwnIpcNamespaceAsItsRoot;
using ::mqtest::MaybeSave;
using ::mqtest::MqSysctl;
using ::mqtest::QueueAttr;

// A SysV message of type 1 with room for 200 bytes.
struct Msg {
  long mtype = 1;
  char mtext[200] = {};
};

// In the child: writes value to the sysctl at path and reads it back.
void ChildSetSysctl(const std::string& path, long value) {
  int err = ::mqtest::WriteLongFile(path, value);
  if (err != 0) CHILD_FAIL("writing %ld to %s: %s", value, path.c_str(), strerror(err));
  long got = ::mqtest::ReadLongFile(path);
  if (got != value) CHILD_FAIL("%s reads %ld after writing %ld", path.c_str(), got, value);
}

// In the child: sends a message of size bytes to id and receives it back.
void ChildSysvRoundTrip(int id, size_t size) {
  Msg m;
  CHILD_CHECK_OK(msgsnd(id, &m, size, IPC_NOWAIT));
  CHILD_CHECK(msgrcv(id, &m, sizeof(m.mtext), 0, IPC_NOWAIT) == (ssize_t)size);
}

// In the child: creates the POSIX queue name with geometry attr (nullptr:
// the namespace's defaults) and passes a message through it.
mqd_t ChildCreatePosixQueue(const char* name, struct mq_attr* attr) {
  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, attr);
  CHILD_CHECK(q >= 0);
  char buf[8192 * 2];
  struct mq_attr got = {};
  CHILD_CHECK_OK(mq_getattr(q, &got));
  CHILD_CHECK(got.mq_msgsize <= (long)sizeof(buf));
  CHILD_CHECK_OK(mq_send(q, "x", 1, 0));
  CHILD_CHECK(mq_receive(q, buf, got.mq_msgsize, nullptr) == 1);
  return q;
}

// In the child: the geometry of queue q.
struct mq_attr ChildGetAttr(mqd_t q) {
  struct mq_attr got = {};
  CHILD_CHECK_OK(mq_getattr(q, &got));
  return got;
}

// In the child: mq_open(O_CREAT) of name with attr must fail with err.
void ChildCreateFails(const char* name, struct mq_attr* attr, int err) {
  CHILD_CHECK_ERRNO(mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, attr), err);
}

TEST(IpcLimitsTest, MsgmaxWrittenAfterTrafficAppliesToNextMsgsnd) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnIpcNamespaceAsItsRoot();
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CHILD_CHECK(id >= 0);
    ChildSysvRoundTrip(id, 100);
    MaybeSave();
    ChildSysvRoundTrip(id, 100);
    ChildSetSysctl("/proc/sys/kernel/msgmax", 50);
    Msg m;
    CHILD_CHECK_ERRNO(msgsnd(id, &m, 100, IPC_NOWAIT), EINVAL);
    CHILD_CHECK_ERRNO(msgsnd(id, &m, 51, IPC_NOWAIT), EINVAL);
    ChildSysvRoundTrip(id, 50);
    MaybeSave();
    CHILD_CHECK_ERRNO(msgsnd(id, &m, 51, IPC_NOWAIT), EINVAL);
    // Raised again, it is read again.
    ChildSetSysctl("/proc/sys/kernel/msgmax", 150);
    ChildSysvRoundTrip(id, 150);
    CHILD_CHECK_ERRNO(msgsnd(id, &m, 151, IPC_NOWAIT), EINVAL);
  });
}

TEST(IpcLimitsTest, MsgmnbWrittenAfterTrafficAppliesToNextMsggetAndIpcSet) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnIpcNamespaceAsItsRoot();
    const long default_mnb = ::mqtest::ReadLongFile("/proc/sys/kernel/msgmnb");
    CHILD_CHECK(default_mnb > 301);
    int old = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CHILD_CHECK(old >= 0);
    ChildSysvRoundTrip(old, 100);
    MaybeSave();
    ChildSysvRoundTrip(old, 100);
    ChildSetSysctl("/proc/sys/kernel/msgmnb", 300);
    MaybeSave();
    // A new queue gets the new msgmnb as its qbytes, which bounds it.
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CHILD_CHECK(id >= 0);
    struct msqid_ds ds = {};
    CHILD_CHECK_OK(msgctl(id, IPC_STAT, &ds));
    CHILD_CHECK(ds.msg_qbytes == 300);
    Msg m;
    for (int i = 0; i < 3; i++) CHILD_CHECK_OK(msgsnd(id, &m, 100, IPC_NOWAIT));
    CHILD_CHECK_ERRNO(msgsnd(id, &m, 1, IPC_NOWAIT), EAGAIN);
    // The older queue keeps its qbytes, but IPC_SET may no longer set it
    // above the new msgmnb.
    CHILD_CHECK_OK(msgctl(old, IPC_STAT, &ds));
    CHILD_CHECK(ds.msg_qbytes == (msglen_t)default_mnb);
    ds.msg_qbytes = 301;
    CHILD_CHECK_ERRNO(msgctl(old, IPC_SET, &ds), EPERM);
    ds.msg_qbytes = 300;
    CHILD_CHECK_OK(msgctl(old, IPC_SET, &ds));
  });
}

TEST(IpcLimitsTest, MsgmniWrittenAfterTrafficAppliesToNextMsgget) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnIpcNamespaceAsItsRoot();
    constexpr key_t kKey = 1234;  // the namespace is the test's own
    int a = msgget(kKey, IPC_CREAT | 0600);
    int b = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CHILD_CHECK(a >= 0 && b >= 0);
    ChildSysvRoundTrip(a, 10);
    MaybeSave();
    ChildSysvRoundTrip(b, 10);
    ChildSetSysctl("/proc/sys/kernel/msgmni", 2);
    MaybeSave();
    CHILD_CHECK_ERRNO(msgget(IPC_PRIVATE, IPC_CREAT | 0600), ENOSPC);
    // Looking up an existing queue is not a creation.
    CHILD_CHECK(msgget(kKey, IPC_CREAT | 0600) == a);
    CHILD_CHECK_OK(msgctl(b, IPC_RMID, nullptr));
    CHILD_CHECK(msgget(IPC_PRIVATE, IPC_CREAT | 0600) >= 0);
    CHILD_CHECK_ERRNO(msgget(IPC_PRIVATE, IPC_CREAT | 0600), ENOSPC);
    ChildSetSysctl("/proc/sys/kernel/msgmni", 3);
    CHILD_CHECK(msgget(IPC_PRIVATE, IPC_CREAT | 0600) >= 0);
    CHILD_CHECK_ERRNO(msgget(IPC_PRIVATE, IPC_CREAT | 0600), ENOSPC);
  });
}

TEST(IpcLimitsTest, MqMsgMaxWrittenAfterTrafficAppliesToNextCreate) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnIpcNamespaceAsItsRoot();
    struct mq_attr ten = QueueAttr(10, 64);
    mqd_t old = ChildCreatePosixQueue("/old", &ten);
    MaybeSave();
    ChildCreatePosixQueue("/before", &ten);
    ChildSetSysctl(MqSysctl("msg_max"), 5);
    MaybeSave();
    struct mq_attr six = QueueAttr(6, 64);
    ChildCreateFails("/six", &six, EINVAL);
    struct mq_attr five = QueueAttr(5, 64);
    ChildCreatePosixQueue("/five", &five);
    // The default geometry is capped by msg_max (msg_default is 10).
    CHILD_CHECK(ChildGetAttr(ChildCreatePosixQueue("/default", nullptr)).mq_maxmsg == 5);
    // A queue made before keeps its geometry.
    CHILD_CHECK(ChildGetAttr(old).mq_maxmsg == 10);
  });
}

TEST(IpcLimitsTest, MqMsgsizeMaxWrittenAfterTrafficAppliesToNextCreate) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnIpcNamespaceAsItsRoot();
    struct mq_attr big = QueueAttr(2, 1000);
    mqd_t old = ChildCreatePosixQueue("/old", &big);
    MaybeSave();
    ChildCreatePosixQueue("/before", &big);
    ChildSetSysctl(MqSysctl("msgsize_max"), 128);
    MaybeSave();
    struct mq_attr over = QueueAttr(2, 129);
    ChildCreateFails("/over", &over, EINVAL);
    struct mq_attr fits = QueueAttr(2, 128);
    ChildCreatePosixQueue("/fits", &fits);
    // The default geometry is capped by msgsize_max (msgsize_default is
    // 8192).
    CHILD_CHECK(ChildGetAttr(ChildCreatePosixQueue("/default", nullptr)).mq_msgsize == 128);
    CHILD_CHECK(ChildGetAttr(old).mq_msgsize == 1000);
  });
}

TEST(IpcLimitsTest, MqMsgDefaultWrittenAfterTrafficAppliesToNextCreate) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnIpcNamespaceAsItsRoot();
    mqd_t old = ChildCreatePosixQueue("/old", nullptr);
    CHILD_CHECK(ChildGetAttr(old).mq_maxmsg == 10);
    MaybeSave();
    ChildCreatePosixQueue("/before", nullptr);
    ChildSetSysctl(MqSysctl("msg_default"), 3);
    MaybeSave();
    CHILD_CHECK(ChildGetAttr(ChildCreatePosixQueue("/new", nullptr)).mq_maxmsg == 3);
    // An explicit geometry is not bound by the default.
    struct mq_attr four = QueueAttr(4, 64);
    CHILD_CHECK(ChildGetAttr(ChildCreatePosixQueue("/explicit", &four)).mq_maxmsg == 4);
    CHILD_CHECK(ChildGetAttr(old).mq_maxmsg == 10);
  });
}

TEST(IpcLimitsTest, MqMsgsizeDefaultWrittenAfterTrafficAppliesToNextCreate) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnIpcNamespaceAsItsRoot();
    mqd_t old = ChildCreatePosixQueue("/old", nullptr);
    CHILD_CHECK(ChildGetAttr(old).mq_msgsize == 8192);
    MaybeSave();
    ChildCreatePosixQueue("/before", nullptr);
    ChildSetSysctl(MqSysctl("msgsize_default"), 200);
    MaybeSave();
    CHILD_CHECK(ChildGetAttr(ChildCreatePosixQueue("/new", nullptr)).mq_msgsize == 200);
    struct mq_attr explicit_size = QueueAttr(2, 300);
    CHILD_CHECK(ChildGetAttr(ChildCreatePosixQueue("/explicit", &explicit_size)).mq_msgsize == 300);
    CHILD_CHECK(ChildGetAttr(old).mq_msgsize == 8192);
  });
}

TEST(IpcLimitsTest, MqQueuesMaxWrittenAfterTrafficAppliesToNextCreate) {
  SKIP_UNLESS_ROOT();
  ASSERT_CHILD_OK_OR_SKIP([] {
    ChildEnterOwnIpcNamespaceAsItsRoot();
    struct mq_attr a = QueueAttr(2, 64);
    mqd_t qa = ChildCreatePosixQueue("/a", &a);
    MaybeSave();
    ChildCreatePosixQueue("/b", &a);
    ChildSetSysctl(MqSysctl("queues_max"), 2);
    MaybeSave();
    ChildCreateFails("/c", &a, ENOSPC);
    // Opening an existing queue is not a creation.
    mqd_t b = mq_open("/b", O_RDWR);
    CHILD_CHECK(b >= 0);
    // A queue counts until it is gone: unlinked and closed.
    CHILD_CHECK_OK(mq_unlink("/a"));
    ChildCreateFails("/c", &a, ENOSPC);
    CHILD_CHECK_OK(mq_close(qa));
    ChildCreatePosixQueue("/c", &a);
    ChildCreateFails("/d", &a, ENOSPC);
    ChildSetSysctl(MqSysctl("queues_max"), 3);
    ChildCreatePosixQueue("/d", &a);
    ChildCreateFails("/e", &a, ENOSPC);
  });
}

}  // namespace
