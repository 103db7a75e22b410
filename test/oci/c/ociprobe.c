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

// ociprobe: what a container sees of the IPC parts of its OCI spec. Run as
// the container's process (root) by test/oci under runc and under runsc; it
// prints one line per fact, in a fixed order, so that the two outputs can be
// compared line by line:
//   - the /dev/mqueue mount: filesystem magic, type and flags (mountinfo);
//   - the IPC sysctls of the container's IPC namespace;
//   - that the mount is live: a queue made with mq_open shows there with its
//     status line, and unlinking the file there removes the queue;
//   - that the limits are enforced: as uid 65534 (no CAP_SYS_RESOURCE),
//     mq_open of maxmsg 50 and of msg_max + 1; msg_qbytes of a new SysV
//     queue is msgmnb.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define MQUEUE_MAGIC 0x19800202
#define QUEUE "/ociprobe"

static const char *result(int rc) { return rc == 0 ? "ok" : strerrorname_np(errno); }

// Prints the mount point's type and its flags among ro/rw, nosuid, nodev,
// noexec (the ones the OCI options ask for; atime flags differ by kernel).
static void print_mount(const char *dir) {
  struct statfs sfs;
  if (statfs(dir, &sfs) != 0) {
    printf("mount %s: statfs %s\n", dir, strerrorname_np(errno));
    return;
  }
  printf("mount %s: magic %#lx\n", dir, (unsigned long)sfs.f_type);
  FILE *f = fopen("/proc/self/mountinfo", "r");
  if (f == NULL) {
    printf("mount %s: mountinfo %s\n", dir, strerrorname_np(errno));
    return;
  }
  char line[4096];
  int found = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    char mnt[1024], opts[1024], type[256];
    // id parent major:minor root mountpoint options [optional...] - type source superopts
    if (sscanf(line, "%*s %*s %*s %*s %1023s %1023s", mnt, opts) != 2 || strcmp(mnt, dir) != 0) continue;
    const char *sep = strstr(line, " - ");
    if (sep == NULL || sscanf(sep + 3, "%255s", type) != 1) continue;
    found = 1;
    char flags[256] = "";
    const char *want[] = {"ro", "rw", "nosuid", "nodev", "noexec"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
      char *save = NULL, copy[1024];
      snprintf(copy, sizeof copy, "%s", opts);
      for (char *o = strtok_r(copy, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
        if (strcmp(o, want[i]) == 0) {
          strcat(flags, flags[0] ? "," : "");
          strcat(flags, o);
        }
      }
    }
    printf("mount %s: type %s flags %s\n", dir, type, flags);
  }
  fclose(f);
  if (!found) printf("mount %s: not a mount point\n", dir);
}

static long read_sysctl(const char *name) {
  char path[256];
  snprintf(path, sizeof path, "/proc/sys/%s", name);
  FILE *f = fopen(path, "r");
  long v = -1;
  if (f == NULL) return -1;
  if (fscanf(f, "%ld", &v) != 1) v = -1;
  fclose(f);
  return v;
}

// Forks a child that drops to uid/gid 65534, losing every capability, and
// runs fn there; returns the child's exit status.
static int as_nobody(int (*fn)(long), long arg) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(100);
    int rc = fn(arg);
    fflush(stdout);
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int open_with_maxmsg(long maxmsg) {
  struct mq_attr attr = {.mq_maxmsg = maxmsg, .mq_msgsize = 64};
  char name[64];
  snprintf(name, sizeof name, "/ociprobe-%ld", maxmsg);
  mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
  printf("as uid 65534: mq_open maxmsg %ld: %s\n", maxmsg, result(q == (mqd_t)-1 ? -1 : 0));
  if (q != (mqd_t)-1) {
    mq_close(q);
    mq_unlink(name);
  }
  return 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  print_mount("/dev/mqueue");

  const char *sysctls[] = {"kernel/msgmax", "kernel/msgmnb", "kernel/msgmni",
                           "fs/mqueue/msg_max", "fs/mqueue/msgsize_max", "fs/mqueue/msg_default",
                           "fs/mqueue/msgsize_default", "fs/mqueue/queues_max"};
  for (size_t i = 0; i < sizeof sysctls / sizeof sysctls[0]; i++) {
    printf("sysctl %s = %ld\n", sysctls[i], read_sysctl(sysctls[i]));
  }

  struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 16};
  mqd_t q = mq_open(QUEUE, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
  printf("mq_open " QUEUE ": %s\n", result(q == (mqd_t)-1 ? -1 : 0));
  printf("mq_send 5 bytes: %s\n", result(mq_send(q, "hello", 5, 1)));
  char status[256] = "";
  int fd = open("/dev/mqueue" QUEUE, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, status, sizeof status - 1);
  if (n > 0) status[n] = '\0';
  if (fd >= 0) close(fd);
  printf("/dev/mqueue" QUEUE ": %s", n > 0 ? status : "unreadable\n");
  printf("unlink /dev/mqueue" QUEUE ": %s\n", result(unlink("/dev/mqueue" QUEUE)));
  mqd_t again = mq_open(QUEUE, O_RDWR);
  printf("mq_open " QUEUE " after the unlink: %s\n", result(again == (mqd_t)-1 ? -1 : 0));
  if (again != (mqd_t)-1) mq_close(again);
  if (q != (mqd_t)-1) mq_close(q);
  mq_unlink(QUEUE);

  as_nobody(open_with_maxmsg, 50);
  as_nobody(open_with_maxmsg, read_sysctl("fs/mqueue/msg_max") + 1);

  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  struct msqid_ds ds;
  if (id >= 0 && msgctl(id, IPC_STAT, &ds) == 0) {
    printf("new SysV queue: msg_qbytes %lu\n", (unsigned long)ds.msg_qbytes);
  } else {
    printf("new SysV queue: %s\n", strerrorname_np(errno));
  }
  if (id >= 0) msgctl(id, IPC_RMID, NULL);
  printf("DONE\n");
  return 0;
}
