// emscripten JS library for the Node CLI (tfjs_quant_cli.js): the real
// process id and kill(pid, 0), which emscripten stubs (getpid is 42). The
// output folder policy names its temporary files by PID and removes those
// of runs that are gone, as the native tool does.
mergeInto(LibraryManager.library, {
  getpid: function() { return process.pid; },
  kill__deps: ['$setErrNo'],
  kill: function(pid, sig) {
    if (sig !== 0) { setErrNo({{{ cDefine('EPERM') }}}); return -1; }
    try {
      process.kill(pid, 0);
      return 0;
    } catch (e) {
      setErrNo(e.code === 'ESRCH' ? {{{ cDefine('ESRCH') }}} : {{{ cDefine('EPERM') }}});
      return -1;
    }
  },
});
