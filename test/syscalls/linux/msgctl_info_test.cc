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

// Syscall tests for System V message queues: msgctl(2) IPC_INFO, MSG_INFO,
// MSG_STAT and MSG_STAT_ANY, and unknown commands.
// Shared helpers and conventions: msg_util.h.
#include <errno.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "msg_util.h"
#include "test_util.h"

namespace mqtest {
namespace {

// ===========================================================================
// msgctl: IPC_INFO / MSG_INFO / MSG_STAT / MSG_STAT_ANY

TEST(MsgqueueTest, IpcInfoAndMsgInfoReturnHighestUsedIndex) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    struct msginfo info = {};
    // Empty namespace: 0.
    EXPECT_EQ(MsgCtl(0, IPC_INFO, &info), 0) << strerror(errno);
    EXPECT_EQ(MsgCtl(0, MSG_INFO, &info), 0) << strerror(errno);

    Queue a = Queue::Private(0600);
    Queue b = Queue::Private(0600);
    Queue c = Queue::Private(0600);
    ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << strerror(errno);
    int ia = a.id() % kSeqMultiplier;
    int ib = b.id() % kSeqMultiplier;
    int ic = c.id() % kSeqMultiplier;
    EXPECT_EQ(ia, 0);
    EXPECT_EQ(ib, 1);
    EXPECT_EQ(ic, 2);
    EXPECT_EQ(MsgCtl(0, IPC_INFO, &info), ic) << strerror(errno);

    b.reset();  // remove the middle one
    EXPECT_EQ(MsgCtl(0, IPC_INFO, &info), ic) << strerror(errno);
    EXPECT_EQ(MsgCtl(0, MSG_INFO, &info), ic) << strerror(errno);
    // The msqid argument is ignored.
    EXPECT_EQ(MsgCtl(12345, IPC_INFO, &info), ic) << strerror(errno);

    c.reset();  // the highest index goes down to the next used one
    EXPECT_EQ(MsgCtl(0, IPC_INFO, &info), ia) << strerror(errno);
    EXPECT_EQ(MsgCtl(0, MSG_INFO, &info), ia) << strerror(errno);
    a.reset();
    EXPECT_EQ(MsgCtl(0, IPC_INFO, &info), 0) << strerror(errno);
  });
}

TEST(MsgqueueTest, MsgInfoCountsQueuesMessagesAndBytes) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoUsage(0, 0, 0));

    Queue a = Queue::Private(0600);
    Queue b = Queue::Private(0600);
    ASSERT_TRUE(a.ok() && b.ok()) << strerror(errno);
    ASSERT_OK(Send(a.id(), 1, "x"));
    ASSERT_OK(Send(a.id(), 1, "yy"));
    ASSERT_OK(Send(b.id(), 1, "zzz"));
    ASSERT_OK(Send(b.id(), 1, ""));
    // 2 queues, 4 messages, 6 bytes.
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoUsage(2, 4, 6));

    Received m;
    ASSERT_EQ(Recv(a.id(), &m, 64, 0, IPC_NOWAIT), 1);
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoUsage(2, 3, 5));

    b.reset();
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoUsage(1, 1, 2));
  });
}

TEST(MsgqueueTest, IpcInfoReportsNamespaceLimits) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoLimits(
        IPC_INFO, kDefaultMsgmax, kDefaultMsgmnb, kDefaultMsgmni));

    ASSERT_EQ(WriteLongFile(kMsgmax, 4000), 0);
    ASSERT_EQ(WriteLongFile(kMsgmnb, 5000), 0);
    ASSERT_EQ(WriteLongFile(kMsgmni, 77), 0);
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoLimits(IPC_INFO, 4000, 5000, 77));
    // MSG_INFO reports the same limits.
    ASSERT_NO_FATAL_FAILURE(ExpectMsgInfoLimits(MSG_INFO, 4000, 5000, 77));
  });
}

TEST(MsgqueueTest, IpcInfoBadAddressIsEfault) {
  BadPage bad;
  ASSERT_NE(bad.get(), nullptr);
  EXPECT_ERRNO(MsgCtl(0, IPC_INFO, bad.get()), EFAULT);
  EXPECT_ERRNO(MsgCtl(0, MSG_INFO, bad.get()), EFAULT);
}

TEST(MsgqueueTest, MsgStatTakesIndexAndReturnsId) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    // Make the id differ from its index: seq 3, index 5.
    const int want = 3 * kSeqMultiplier + 5;
    ASSERT_EQ(WriteLongFile(kMsgNextId, want), 0);
    Queue q = Queue::Private(0640);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    ASSERT_EQ(q.id(), want);
    ASSERT_NO_FATAL_FAILURE(SendThenSave(q.id(), 1, "abc"));

    struct msqid_ds ds = {};
    EXPECT_EQ(MsgCtl(5, MSG_STAT, &ds), want) << strerror(errno);
    EXPECT_EQ(ds.msg_perm.mode, 0640);
    EXPECT_EQ(ds.msg_qnum, 1u);
    EXPECT_EQ(ds.__msg_cbytes, 3u);
    ds = {};
    EXPECT_EQ(MsgCtl(5, MSG_STAT_ANY, &ds), want) << strerror(errno);
    EXPECT_EQ(ds.msg_perm.mode, 0640);
    EXPECT_EQ(ds.msg_qnum, 1u);
    // Linux takes the index from the low 15 bits of the
    // argument and ignores the sequence bits.
    EXPECT_EQ(MsgCtl(want, MSG_STAT, &ds), want) << strerror(errno);
    EXPECT_EQ(MsgCtl(9 * kSeqMultiplier + 5, MSG_STAT, &ds), want)
        << strerror(errno);
    EXPECT_ERRNO(MsgCtl(3 * kSeqMultiplier + 4, MSG_STAT, &ds),
                 EINVAL);
    // And IPC_STAT takes the id, not the index.
    EXPECT_EQ(MsgCtl(want, IPC_STAT, &ds), 0) << strerror(errno);
    EXPECT_ERRNO(MsgCtl(5, IPC_STAT, &ds), EINVAL);
  });
}

TEST(MsgqueueTest, MsgStatEmptyIndexIsEinval) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(0, MSG_STAT, &ds), EINVAL);
    EXPECT_ERRNO(MsgCtl(0, MSG_STAT_ANY, &ds), EINVAL);
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    int idx = q.id() % kSeqMultiplier;
    EXPECT_EQ(MsgCtl(idx, MSG_STAT, &ds), q.id()) << strerror(errno);
    EXPECT_ERRNO(MsgCtl(idx + 1, MSG_STAT, &ds), EINVAL);
    EXPECT_ERRNO(MsgCtl(-1, MSG_STAT, &ds), EINVAL);
    q.reset();
    EXPECT_ERRNO(MsgCtl(idx, MSG_STAT, &ds), EINVAL);
  });
}

TEST(MsgqueueTest, MsgStatAnyWorksWithoutReadPermission) {
  EXPECT_CHILD_OK([] {
    ASSERT_NO_FATAL_FAILURE(EnterNewIpcNamespace());
    Queue q = Queue::Private(0600);
    ASSERT_TRUE(q.ok()) << strerror(errno);
    int id = q.id();
    int idx = id % kSeqMultiplier;
    EXPECT_CHILD_OK([&] {
      ASSERT_NO_FATAL_FAILURE(
          DropPrivileges(kNobody, kNobody, 0));
      struct msqid_ds ds = {};
      EXPECT_ERRNO(MsgCtl(idx, MSG_STAT, &ds), EACCES);
      EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
      EXPECT_EQ(MsgCtl(idx, MSG_STAT_ANY, &ds), id)
          << strerror(errno);
      EXPECT_EQ(ds.msg_perm.mode, 0600);
      EXPECT_EQ(ds.msg_perm.uid, 0u);
    });
  });
}

TEST(MsgqueueTest, UnknownCmdIsEinval) {
  Queue q = Queue::Private(0600);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  struct msqid_ds ds = {};
  for (int cmd : {-1, 4, 5, 10, 14, 15, 99, 0x100 | 99}) {
    SCOPED_TRACE(cmd);
    EXPECT_ERRNO(MsgCtl(q.id(), cmd, &ds), EINVAL);
  }
  // The queue is untouched.
  EXPECT_EQ(MsgCtl(q.id(), IPC_STAT, &ds), 0) << strerror(errno);
}

}  // namespace
}  // namespace mqtest
