# zlib and brotli for the WebAssembly build. The native build links Debian's
# libz and libbrotlienc; emscripten needs them compiled for wasm32, and its
# own ports download from GitHub. These are the same upstream releases as
# Debian 12's packages (zlib 1.2.13, brotli 1.0.9), taken from Debian's
# archive and pinned by SHA-256, so `inspect` gives the same wire sizes in
# both builds (tests/node/js_identity.test.mjs compares them).
include(FetchContent)
set(FETCHCONTENT_QUIET ON)
FetchContent_Declare(tfq_zlib
  URL https://deb.debian.org/debian/pool/main/z/zlib/zlib_1.2.13.dfsg.orig.tar.bz2
  URL_HASH SHA256=71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1
  DOWNLOAD_EXTRACT_TIMESTAMP ON)
FetchContent_Declare(tfq_brotli
  URL https://deb.debian.org/debian/pool/main/b/brotli/brotli_1.0.9.orig.tar.gz
  URL_HASH SHA256=f9e8d81d0405ba66d181529af42a3354f838c939095ff99930da6aa9cdf6fe46
  DOWNLOAD_EXTRACT_TIMESTAMP ON)
# Populate only: their own CMake files build shared libraries and programs.
FetchContent_GetProperties(tfq_zlib)
if(NOT tfq_zlib_POPULATED)
  FetchContent_Populate(tfq_zlib)
endif()
FetchContent_GetProperties(tfq_brotli)
if(NOT tfq_brotli_POPULATED)
  FetchContent_Populate(tfq_brotli)
endif()

enable_language(C)

# What deflate (inspect's wire sizes) and inflate (pack's zip members) need.
set(z ${tfq_zlib_SOURCE_DIR})
add_library(tfq_zlib STATIC ${z}/adler32.c ${z}/crc32.c ${z}/deflate.c ${z}/trees.c ${z}/zutil.c
  ${z}/inflate.c ${z}/inftrees.c ${z}/inffast.c)
target_include_directories(tfq_zlib SYSTEM PUBLIC ${z})
target_compile_options(tfq_zlib PRIVATE -O2 -w)
add_library(ZLIB::ZLIB ALIAS tfq_zlib)

set(b ${tfq_brotli_SOURCE_DIR}/c)
file(GLOB tfq_brotli_sources ${b}/common/*.c ${b}/enc/*.c)
add_library(tfq_brotlienc STATIC ${tfq_brotli_sources})
target_include_directories(tfq_brotlienc SYSTEM PUBLIC ${b}/include)
target_compile_options(tfq_brotlienc PRIVATE -O2 -w)
