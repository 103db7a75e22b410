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

// Syscall tests for System V message queues: The permission classes of System
// V message queues: owner, creator, group and supplementary groups, and
// CAP_IPC_OWNER.
// Shared helpers and conventions: msg_util.h.
#include <errno.h>
#include <linux/capability.h>
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
// Permission classes.

// The creator keeps owner bits after IPC_SET gave the queue to another uid;
// owner bits take precedence over group bits.
TEST(MsgqueueTest, CreatorUidGetsOwnerBits) {
  Queue q;
  ASSERT_NO_FATAL_FAILURE(CreateQueueGivenAway(0600, 0600, &q));
  int id = q.id();
  // Creator.
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(1000, 3000, 0));
    ExpectStatSendRecv(id, "c");
  });
  // Current owner.
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(2001, 3000, 0));
    struct msqid_ds ds = {};
    EXPECT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
  });
  // Anyone else.
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(3000, 3000, 0));
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
    EXPECT_ERRNO(Send(id, 1, "c", IPC_NOWAIT), EACCES);
  });
  // Owner class wins over group class: mode 0060 denies the creator even
  // though it is in the queue's group.
  ASSERT_EQ(SetOwnerAndMode(id, 2001, 2001, 0060), 0) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(1000, 2001, 0));
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
  });
}

// Group bits apply if egid or a supplementary group matches gid or cgid.
TEST(MsgqueueTest, CreatorGidGetsGroupBits) {
  Queue q;
  ASSERT_NO_FATAL_FAILURE(CreateQueueGivenAway(0640, 0640, &q));
  int id = q.id();
  struct Case {
    gid_t gid;
    std::vector<gid_t> groups;
    bool readable;
  };
  std::vector<Case> cases = {
      {1000, {}, true},            // egid == cgid
      {2001, {}, true},            // egid == gid
      {3000, {1000}, true},        // supplementary == cgid
      {3000, {2001}, true},        // supplementary == gid
      {3000, {}, false},           // other
      {3000, {4000, 4001}, false}, // other
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.gid);
    EXPECT_CHILD_OK([&] {
      ASSERT_NO_FATAL_FAILURE(DropPrivileges(3000, c.gid, 0, c.groups));
      struct msqid_ds ds = {};
      if (c.readable) {
        EXPECT_EQ(MsgCtl(id, IPC_STAT, &ds), 0) << strerror(errno);
        // Group has no write bit.
        EXPECT_ERRNO(Send(id, 1, "x", IPC_NOWAIT), EACCES);
      } else {
        EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
      }
    });
  }
}

TEST(MsgqueueTest, CapIpcOwnerOverridesPermissions) {
  key_t key;
  Queue q = Queue::Keyed(0000, &key);
  ASSERT_TRUE(q.ok()) << strerror(errno);
  int id = q.id();
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(
        DropPrivileges(kNobody, kNobody, CapBit(CAP_IPC_OWNER)));
    EXPECT_EQ(msgget(key, 0666), id) << strerror(errno);
    ExpectStatSendRecv(id, "x");
  });
  // Without it, nothing is allowed.
  EXPECT_CHILD_OK([&] {
    ASSERT_NO_FATAL_FAILURE(DropPrivileges(kNobody, kNobody, 0));
    EXPECT_ERRNO(msgget(key, 0400), EACCES);
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
    EXPECT_ERRNO(Send(id, 1, "x", IPC_NOWAIT), EACCES);
  });
  // Even the owner (root) is denied on a mode 0 queue without CAP_IPC_OWNER;
  // CAP_DAC_OVERRIDE does not apply to SysV IPC.
  EXPECT_CHILD_OK([&] {
    ASSERT_TRUE(DropCapability(CAP_IPC_OWNER)) << strerror(errno);
    struct msqid_ds ds = {};
    EXPECT_ERRNO(MsgCtl(id, IPC_STAT, &ds), EACCES);
    EXPECT_ERRNO(Send(id, 1, "x", IPC_NOWAIT), EACCES);
    // The owner may still IPC_SET.
    ds.msg_perm.uid = 0;
    ds.msg_perm.gid = 0;
    ds.msg_perm.mode = 0000;
    ds.msg_qbytes = 100;
    EXPECT_EQ(MsgCtl(id, IPC_SET, &ds), 0) << strerror(errno);
  });
}

}  // namespace
}  // namespace mqtest
