# The store's whole-program tests: real torch clients (1.13 here, 2.6 from a trixie chroot,
# LibTorch ProcessGroupGloo) against dlaunch-store. Included from CMakeLists.txt.
set(store_torch_test ${CMAKE_CURRENT_SOURCE_DIR}/store_torch_test.sh)
set(make_trixie ${PROJECT_SOURCE_DIR}/scripts/make_trixie_chroot.sh)

foreach(scenario torch113_env torch113_store)
  add_test(NAME store_${scenario} COMMAND ${store_torch_test} $<TARGET_FILE:dlaunch-store> ${scenario})
  set_tests_properties(store_${scenario} PROPERTIES LABELS "integration;store" TIMEOUT 300)
endforeach()

# The trixie chroot takes minutes the first time; one fixture builds it once per run.
add_test(NAME store_trixie_chroot COMMAND ${make_trixie})
set_tests_properties(store_trixie_chroot PROPERTIES
  FIXTURES_SETUP trixie_chroot SKIP_RETURN_CODE 77 LABELS "integration;store" TIMEOUT 1800)
foreach(scenario torch26 torch26_restart mixed)
  add_test(NAME store_${scenario} COMMAND ${store_torch_test} $<TARGET_FILE:dlaunch-store> ${scenario})
  set_tests_properties(store_${scenario} PROPERTIES
    FIXTURES_REQUIRED trixie_chroot SKIP_RETURN_CODE 77 LABELS "integration;store" TIMEOUT 300)
endforeach()

find_package(Torch QUIET)
if(Torch_FOUND)
  add_executable(gloo_store_worker gloo_store_worker.cpp)
  # Debian's TorchConfig.cmake does not define it; the c10d Gloo headers need it.
  target_compile_definitions(gloo_store_worker PRIVATE USE_C10D_GLOO)
  target_link_libraries(gloo_store_worker PRIVATE ${TORCH_LIBRARIES})
  add_test(NAME store_libtorch_gloo
           COMMAND ${store_torch_test} $<TARGET_FILE:dlaunch-store> libtorch_gloo
                   $<TARGET_FILE:gloo_store_worker>)
  set_tests_properties(store_libtorch_gloo PROPERTIES LABELS "integration;store" TIMEOUT 300)
endif()

# torch 2.6 workers through dlaunch itself (its agent serves the store), with a restart.
add_test(NAME dlaunch_torch26_restart
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/dlaunch_torch2_test.sh $<TARGET_FILE:dlaunch>)
set_tests_properties(dlaunch_torch26_restart PROPERTIES
  FIXTURES_REQUIRED trixie_chroot SKIP_RETURN_CODE 77 LABELS "integration;store" TIMEOUT 300)
