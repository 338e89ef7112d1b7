# zlib, brotli and RE2 for the WebAssembly build. The native build links
# Debian's libz, libbrotlienc and libre2; emscripten needs them compiled for
# wasm32, and its own ports download from GitHub. These are the releases
# Debian 12's binary packages were built from (zlib 1.2.13, brotli 1.0.9,
# re2 2022-06-01), fetched by scripts/debian-sources.sh with `apt-get source`
# and pinned here by SHA-256, so that `inspect` gives the same wire sizes and
# `pack --rename` the same names in both builds
# (tests/node/js_identity.test.mjs and pack.test.mjs compare them).
set(TFJS_QUANT_DEBIAN_SOURCES ${PROJECT_SOURCE_DIR}/.cache/debian-src CACHE PATH
  "Folder of the Debian source tarballs the WebAssembly build compiles (scripts/debian-sources.sh)")
set(tfq_debian_tarballs
  zlib_1.2.13.dfsg.orig.tar.bz2 71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1
  brotli_1.0.9.orig.tar.gz f9e8d81d0405ba66d181529af42a3354f838c939095ff99930da6aa9cdf6fe46
  re2_20220601+dfsg.orig.tar.xz 3bc61251da3b0b97be40a8a127818c517c62516e4eda11fc901d29496663df54)
include(FetchContent)
set(FETCHCONTENT_QUIET ON)
foreach(name zlib brotli re2)
  list(POP_FRONT tfq_debian_tarballs file hash)
  if(NOT EXISTS ${TFJS_QUANT_DEBIAN_SOURCES}/${file})
    message(FATAL_ERROR "${TFJS_QUANT_DEBIAN_SOURCES}/${file} is missing: run scripts/debian-sources.sh")
  endif()
  FetchContent_Declare(tfq_${name} URL ${TFJS_QUANT_DEBIAN_SOURCES}/${file} URL_HASH SHA256=${hash}
    DOWNLOAD_EXTRACT_TIMESTAMP ON)
  # Populate only: their own CMake files build shared libraries and programs.
  FetchContent_GetProperties(tfq_${name})
  if(NOT tfq_${name}_POPULATED)
    FetchContent_Populate(tfq_${name})
  endif()
endforeach()

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

# RE2 (pack's --rename). Debian's source leaves out the three generated
# tables; they are made again as Debian's build makes them: the Perl
# classes by make_perl_groups.pl, the Unicode ones by RE2's scripts from
# Debian's unicode-data (Debian's patch points unicode.py at
# /usr/share/unicode; unicode-data 15.0.0 is what libre2-9 was built with),
# with Debian's python3 and its python3-six.
set(r ${tfq_re2_SOURCE_DIR})
set(gen ${CMAKE_CURRENT_BINARY_DIR}/re2-tables)
if(NOT EXISTS ${gen}/unicode_groups.cc)
  file(MAKE_DIRECTORY ${gen}/py)
  file(READ ${r}/re2/unicode.py py)
  string(REGEX REPLACE "_UNICODE_DIR = \"[^\"]*\"" "_UNICODE_DIR = \"/usr/share/unicode\"" py "${py}")
  file(WRITE ${gen}/py/unicode.py "${py}")
  file(COPY ${r}/re2/make_unicode_groups.py ${r}/re2/make_unicode_casefold.py DESTINATION ${gen}/py)
  foreach(table groups casefold)
    execute_process(COMMAND /usr/bin/python3 make_unicode_${table}.py WORKING_DIRECTORY ${gen}/py
      OUTPUT_FILE ${gen}/unicode_${table}.cc.new RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "RE2's make_unicode_${table}.py failed (${rc}): it needs python3-six and unicode-data")
    endif()
  endforeach()
  execute_process(COMMAND perl ${r}/re2/make_perl_groups.pl OUTPUT_FILE ${gen}/perl_groups.cc RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "RE2's make_perl_groups.pl failed (${rc})")
  endif()
  file(RENAME ${gen}/unicode_casefold.cc.new ${gen}/unicode_casefold.cc)
  file(RENAME ${gen}/unicode_groups.cc.new ${gen}/unicode_groups.cc)  # last: it marks the tables as made
endif()
add_library(tfq_re2 STATIC
  ${r}/re2/bitstate.cc ${r}/re2/compile.cc ${r}/re2/dfa.cc ${r}/re2/filtered_re2.cc ${r}/re2/mimics_pcre.cc
  ${r}/re2/nfa.cc ${r}/re2/onepass.cc ${r}/re2/parse.cc ${r}/re2/prefilter.cc ${r}/re2/prefilter_tree.cc
  ${r}/re2/prog.cc ${r}/re2/re2.cc ${r}/re2/regexp.cc ${r}/re2/set.cc ${r}/re2/simplify.cc ${r}/re2/stringpiece.cc
  ${r}/re2/tostring.cc ${r}/util/rune.cc ${r}/util/strutil.cc
  ${gen}/perl_groups.cc ${gen}/unicode_casefold.cc ${gen}/unicode_groups.cc)
target_include_directories(tfq_re2 SYSTEM PUBLIC ${r})
target_compile_options(tfq_re2 PRIVATE -O2 -w -fno-exceptions)
target_compile_definitions(tfq_re2 PRIVATE NDEBUG)
add_library(tfq_re2_lib ALIAS tfq_re2)
