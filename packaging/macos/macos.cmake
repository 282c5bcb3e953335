# macOS installer: a drag-and-drop DMG (CPack DragNDrop) holding "beacon-admin.app", with beaconctl inside the
# bundle (beacon-admin.app/Contents/MacOS/beaconctl) so both share the bundled Qt, QtKeychain and libpq.
# Included from packaging/CMakeLists.txt under elseif(APPLE), before include(CPack). On APPLE this file owns
# the install rules of both executables: packaging/CMakeLists.txt must not also install them there.
if(NOT APPLE)
    return()
endif()

get_target_property(_beacon_is_bundle beacon-admin MACOSX_BUNDLE)
if(NOT _beacon_is_bundle)
    message(FATAL_ERROR "packaging: beacon-admin must be a MACOSX_BUNDLE target on macOS (app/gui/CMakeLists.txt)")
endif()
if(NOT TARGET Qt6::QPSQLDriverPlugin)
    # Qt's Qt6SqlPlugins.cmake imports it with Qt6Sql; where that file is missing, load the plugin's config.
    find_package(Qt6QPSQLDriverPlugin CONFIG QUIET PATHS "${Qt6Sql_DIR}" NO_DEFAULT_PATH)
endif()
if(NOT TARGET Qt6::QPSQLDriverPlugin)
    message(FATAL_ERROR "packaging: this Qt has no QPSQL driver plugin (Qt6::QPSQLDriverPlugin, libqsqlpsql.dylib). "
        "Build it from Qt's sources against Homebrew's libpq (see packaging/README.md) and install it into Qt.")
endif()

set(CPACK_GENERATOR "DragNDrop")
set(CPACK_DMG_VOLUME_NAME "Beacon Admin")
set(CPACK_DMG_FORMAT "UDZO")
set(CPACK_PACKAGE_VENDOR "Beacon")
# (An "Applications" symlink is added beside the bundle by default; CPACK_DMG_DISABLE_APPLICATIONS_SYMLINK.)
set(_beacon_icns "${PROJECT_SOURCE_DIR}/resources/icons/beacon-admin.icns")
if(EXISTS "${_beacon_icns}")
    set(CPACK_PACKAGE_ICON "${_beacon_icns}")   # the DMG volume icon
endif()
# No licence agreement on the DMG: CPack's DMG SLA support relies on tools Apple has deprecated.

set(_beacon_app "beacon-admin.app")   # the bundle of target beacon-admin (no OUTPUT_NAME is set)
install(TARGETS beacon-admin BUNDLE DESTINATION .)
install(TARGETS beaconctl RUNTIME DESTINATION "${_beacon_app}/Contents/MacOS")

# The deploy script. Not qt_generate_deploy_app_script(): that deploys one target, and it always passes
# -appstore-compliant to macdeployqt, which makes macdeployqt SKIP libqsqlpsql.dylib ("uses private API").
# This is what that command generates, plus beaconctl and NO_APP_STORE_COMPLIANCE.
# macdeployqt copies the Qt frameworks, the plugins of the Qt modules used (sqldrivers for QtSql) and every
# non-system library they load that it can resolve (QtKeychain, Homebrew's libpq with its OpenSSL and
# Kerberos libraries) into Contents/Frameworks, and rewrites their install names to @executable_path/...
# Then: fail if anything still points outside the bundle, and sign the bundle ad hoc (arm64 code must be
# signed; install_name_tool voids the linker's signature). A Developer ID signature and notarization are
# separate release steps.
set(_beacon_deploy_script "${CMAKE_CURRENT_BINARY_DIR}/deploy-beacon-admin-macos")
get_cmake_property(_beacon_multi_config GENERATOR_IS_MULTI_CONFIG)
if(_beacon_multi_config)
    string(APPEND _beacon_deploy_script "-$<CONFIG>")
endif()
string(APPEND _beacon_deploy_script ".cmake")
file(GENERATE OUTPUT "${_beacon_deploy_script}" CONTENT "
include([[${QT_DEPLOY_SUPPORT}]])
set(app \"\${QT_DEPLOY_PREFIX}/${_beacon_app}\")
qt_deploy_runtime_dependencies(
    EXECUTABLE \"${_beacon_app}\"
    ADDITIONAL_EXECUTABLES \"${_beacon_app}/Contents/MacOS/beaconctl\"
    NO_APP_STORE_COMPLIANCE
)
set(psql_plugin \"\${app}/Contents/PlugIns/sqldrivers/libqsqlpsql.dylib\")
if(NOT EXISTS \"\${psql_plugin}\")
    message(FATAL_ERROR \"packaging: macdeployqt did not deploy \${psql_plugin}\")
endif()
file(GLOB_RECURSE machos LIST_DIRECTORIES false
    \"\${app}/Contents/MacOS/*\" \"\${app}/Contents/Frameworks/*.dylib\" \"\${app}/Contents/PlugIns/*.dylib\")
set(outside)
foreach(file IN LISTS machos)
    execute_process(COMMAND otool -L \"\${file}\" OUTPUT_VARIABLE links RESULT_VARIABLE rc)
    if(rc EQUAL 0 AND links MATCHES \"\\n[ \\t]+(/opt/homebrew|/usr/local|/opt/local|/Users)[^ \\t\\n]*\")
        list(APPEND outside \"\${file}: \${CMAKE_MATCH_0}\")
    endif()
endforeach()
if(outside)
    string(REPLACE \";\" \"\\n\" outside \"\${outside}\")
    message(FATAL_ERROR \"packaging: libraries still loaded from outside the bundle:\\n\${outside}\")
endif()
execute_process(COMMAND codesign --force --deep --sign - \"\${app}\" COMMAND_ERROR_IS_FATAL ANY)
")
install(SCRIPT "${_beacon_deploy_script}")
