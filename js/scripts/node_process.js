// emscripten JS library for the Node CLI (tfjs_quant_cli.js). The real
// process id and whether a process is gone, which emscripten's libc cannot
// tell (getpid is 42, geteuid 0, kill knows no other process): the output folder
// policy (src/io/disk.cc) names its temporary files by PID and removes those
// of runs that are gone, as the native tool does. And the temporary paths
// to remove on a signal (tools/node_cleanup.cc), handed to the callbacks
// bin/tfjs-quant.js gives the module.
mergeInto(LibraryManager.library, {
  // emscripten's isatty says yes to every standard stream.
  tfq_isatty: function(fd) {
    return require('tty').isatty(fd) ? 1 : 0;
  },
  tfq_track: function(path, removeTree) {
    if (Module['onTrack']) Module['onTrack'](UTF8ToString(path), removeTree !== 0);
  },
  tfq_untrack: function(path) {
    if (Module['onUntrack']) Module['onUntrack'](UTF8ToString(path));
  },
  tfq_process_id: function() {
    return process.pid;
  },
  tfq_user_id: function() {
    return process.geteuid ? process.geteuid() : 0;  // not on Windows
  },
  tfq_process_gone: function(pid) {
    try {
      process.kill(pid, 0);
      return 0;
    } catch (e) {
      return e.code === 'ESRCH' ? 1 : 0;
    }
  },
});
