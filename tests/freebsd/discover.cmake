# Run after freebsd_ktls_test is built (cmake -P): list its tests, check
# the software mode's names against FreeBSD's (NAMES), and write one
# add_test() per test to OUT.  ctest names a test freebsd/<name>.
execute_process(COMMAND ${EXE} --list
  OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} --list failed: ${rc}")
endif()
string(REGEX REPLACE "\n$" "" listed "${listed}")
string(REPLACE "\n" ";" tests "${listed}")

# The software run keeps FreeBSD's bare names: exactly FreeBSD's list.
file(STRINGS ${NAMES} want)
set(bare "")
foreach(t IN LISTS tests)
  if(NOT t MATCHES "/")
    list(APPEND bare ${t})
  endif()
endforeach()
if(NOT bare STREQUAL want)
  list(LENGTH bare nb)
  list(LENGTH want nw)
  message(FATAL_ERROR "ktls_test lists ${nb} software cases, FreeBSD has "
    "${nw}, or they differ: compare `${EXE} --list` with ${NAMES}")
endif()

set(script "")
foreach(t IN LISTS tests)
  string(APPEND script
    "add_test(\"freebsd/${t}\" \"${EXE}\" \"--case\" \"${t}\")\n"
    "set_tests_properties(\"freebsd/${t}\" PROPERTIES LABELS \"freebsd\" "
    "TIMEOUT 120)\n")
endforeach()
file(WRITE ${OUT} "${script}")
