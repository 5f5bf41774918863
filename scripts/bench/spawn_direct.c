/* spawn_direct [-o PATTERN] N PROGRAM [ARGS...]: the smallest launcher there is. Starts N
 * copies of PROGRAM with posix_spawn (RANK, LOCAL_RANK, WORLD_SIZE and LOCAL_WORLD_SIZE set
 * as a launcher would), waits for all of them, and exits 0 only if every one exited 0.
 * With -o, copy i has stdout and stderr on a new file named by PATTERN with %d replaced by i.
 * It is the "start the workers directly" baseline of scripts/bench_launch.sh: dlaunch's
 * own overhead is dlaunch's wall time minus this program's. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  const char* pattern = NULL;
  if (argc > 2 && strcmp(argv[1], "-o") == 0) {
    pattern = argv[2];
    argc -= 2;
    argv += 2;
  }
  if (argc < 3) {
    fprintf(stderr, "usage: spawn_direct [-o PATTERN] N PROGRAM [ARGS...]\n");
    return 2;
  }
  const int n = atoi(argv[1]);
  if (n < 1 || n > 1024) {
    fprintf(stderr, "spawn_direct: bad count '%s'\n", argv[1]);
    return 2;
  }
  char world[32];
  snprintf(world, sizeof world, "%d", n);
  setenv("WORLD_SIZE", world, 1);
  setenv("LOCAL_WORLD_SIZE", world, 1);
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    char rank[32];
    snprintf(rank, sizeof rank, "%d", i);
    setenv("RANK", rank, 1);
    setenv("LOCAL_RANK", rank, 1);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (pattern) {
      char path[4096];
      snprintf(path, sizeof path, pattern, i);
      posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      posix_spawn_file_actions_adddup2(&actions, 1, 2);
    }
    pid_t pid;
    const int err = posix_spawnp(&pid, argv[2], &actions, NULL, argv + 2, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) {
      fprintf(stderr, "spawn_direct: cannot start %s: %s\n", argv[2], strerror(err));
      failed = 1;
    }
  }
  int status;
  while (wait(&status) > 0) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = 1;
  }
  return failed;
}
