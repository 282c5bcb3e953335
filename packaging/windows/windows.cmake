# Windows installer: an MSI built by CPack's WiX generator (WiX Toolset v3: candle/light on PATH or %WIX%).
# Included from packaging/CMakeLists.txt under if(WIN32), before include(CPack), after the
# install(TARGETS beacon-admin beaconctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}) rule.
#
# Installed layout (under C:\Program Files\Beacon Admin):
#   bin\beacon-admin.exe, bin\beaconctl.exe, bin\qt.conf, bin\Qt6*.dll     (windeployqt)
#   bin\libpq.dll + the DLLs it needs (OpenSSL, libintl, libiconv, ...)  (from BEACON_POSTGRESQL_BIN_DIR)
#   bin\qt6keychain.dll, bin\msvcp140.dll, bin\vcruntime140*.dll          (QtKeychain, MSVC runtime)
#   plugins\platforms, plugins\styles, plugins\sqldrivers\qsqlpsql.dll, ... (windeployqt + explicit)
if(NOT WIN32)
    return()
endif()
include(GNUInstallDirs)

set(CPACK_GENERATOR "WIX")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "Beacon Admin")
set(CPACK_PACKAGE_VENDOR "Beacon")
# The UpgradeCode identifies "Beacon Admin" across all its versions: every MSI carrying it replaces the one
# installed (a major upgrade; the ProductCode is new on each build). It must NEVER change, or a new version
# installs beside the old one instead of upgrading it.
set(CPACK_WIX_UPGRADE_GUID "2AF76B98-2C01-42C2-8BB9-5F660A30471B")
set(CPACK_WIX_PROGRAM_MENU_FOLDER "Beacon Admin")
set(CPACK_WIX_PROPERTY_ARPURLINFOABOUT "${PROJECT_HOMEPAGE_URL}")
set(CPACK_WIX_PROPERTY_ARPCOMMENTS "${PROJECT_DESCRIPTION}")
# Start-menu shortcut "Beacon Admin" -> bin\beacon-admin.exe. The WiX generator matches this list against
# every installed file named <name>.exe, in any folder. (The CPACK_START_MENU_SHORTCUTS file property would
# make a second, same-named shortcut, so it is deliberately not used as well.)
set(CPACK_PACKAGE_EXECUTABLES "beacon-admin;Beacon Admin")

set(_beacon_ico "${PROJECT_SOURCE_DIR}/resources/icons/beacon-admin.ico")
if(EXISTS "${_beacon_ico}")
    set(CPACK_WIX_PRODUCT_ICON "${_beacon_ico}")   # Add/Remove Programs icon
endif()
# The licence page: only when the project has a licence. WiX wants .rtf, or .txt (converted by CPack).
foreach(_beacon_license IN ITEMS LICENSE.rtf LICENSE.txt LICENSE COPYING)
    if(EXISTS "${PROJECT_SOURCE_DIR}/${_beacon_license}")
        if(_beacon_license MATCHES "\\.rtf$")
            set(CPACK_WIX_LICENSE_RTF "${PROJECT_SOURCE_DIR}/${_beacon_license}")
        else()
            configure_file("${PROJECT_SOURCE_DIR}/${_beacon_license}"
                "${CMAKE_CURRENT_BINARY_DIR}/beacon-license.txt" COPYONLY)
            set(CPACK_RESOURCE_FILE_LICENSE "${CMAKE_CURRENT_BINARY_DIR}/beacon-license.txt")
        endif()
        break()
    endif()
endforeach()

# --- Where libpq.dll and its DLLs come from: a PostgreSQL for Windows install (EDB build) --------------
set(_beacon_pg_bin_default "")
if(DEFINED PostgreSQL_ROOT AND EXISTS "${PostgreSQL_ROOT}/bin/libpq.dll")
    set(_beacon_pg_bin_default "${PostgreSQL_ROOT}/bin")
elseif(DEFINED ENV{PostgreSQL_ROOT} AND EXISTS "$ENV{PostgreSQL_ROOT}/bin/libpq.dll")
    set(_beacon_pg_bin_default "$ENV{PostgreSQL_ROOT}/bin")
elseif(DEFINED ENV{PGROOT} AND EXISTS "$ENV{PGROOT}/bin/libpq.dll")
    set(_beacon_pg_bin_default "$ENV{PGROOT}/bin")
elseif(DEFINED ENV{PGBIN} AND EXISTS "$ENV{PGBIN}/libpq.dll")
    set(_beacon_pg_bin_default "$ENV{PGBIN}")
endif()
file(TO_CMAKE_PATH "${_beacon_pg_bin_default}" _beacon_pg_bin_default)
set(BEACON_POSTGRESQL_BIN_DIR "${_beacon_pg_bin_default}" CACHE PATH
    "PostgreSQL bin folder holding libpq.dll and the DLLs it needs, bundled into the MSI")
if(NOT EXISTS "${BEACON_POSTGRESQL_BIN_DIR}/libpq.dll")
    message(FATAL_ERROR "packaging: libpq.dll not found in BEACON_POSTGRESQL_BIN_DIR='${BEACON_POSTGRESQL_BIN_DIR}'. "
        "Set -DBEACON_POSTGRESQL_BIN_DIR=<PostgreSQL>/bin (or PostgreSQL_ROOT, or the PGROOT environment variable).")
endif()

# --- The QPSQL driver plugin ------------------------------------------------------------------------------
# Without it the console cannot open any database, so the package refuses to be made without it.
if(NOT TARGET Qt6::QPSQLDriverPlugin)
    # Qt's Qt6SqlPlugins.cmake imports it with Qt6Sql; where that file is missing, load the plugin's config.
    find_package(Qt6QPSQLDriverPlugin CONFIG QUIET PATHS "${Qt6Sql_DIR}" NO_DEFAULT_PATH)
endif()
if(NOT TARGET Qt6::QPSQLDriverPlugin)
    message(FATAL_ERROR "packaging: this Qt has no QPSQL driver plugin (Qt6::QPSQLDriverPlugin, qsqlpsql.dll). "
        "Build it from Qt's sources (qtbase/src/plugins/sqldrivers, see packaging/README.md) and install it into Qt.")
endif()

# --- Qt: windeployqt through Qt's deployment API, once per executable -------------------------------------
# Qt 6.4 spells the output variable FILENAME_VARIABLE; 6.5 renamed it OUTPUT_SCRIPT and added
# NO_COMPILER_RUNTIME (the MSVC runtime is installed app-locally below instead of vc_redist.x64.exe).
foreach(_beacon_target IN ITEMS beacon-admin beaconctl)
    if(Qt6_VERSION VERSION_GREATER_EQUAL 6.5)
        qt_generate_deploy_app_script(TARGET ${_beacon_target} OUTPUT_SCRIPT _beacon_deploy_script
            NO_UNSUPPORTED_PLATFORM_ERROR NO_COMPILER_RUNTIME)
    else()
        qt_generate_deploy_app_script(TARGET ${_beacon_target} FILENAME_VARIABLE _beacon_deploy_script
            NO_UNSUPPORTED_PLATFORM_ERROR)
    endif()
    install(SCRIPT "${_beacon_deploy_script}")
endforeach()

# windeployqt deploys only the SQL drivers it finds in Qt's plugins\sqldrivers; install QPSQL explicitly so
# the MSI never ships without it, whatever windeployqt decides. ("plugins" is QT_DEPLOY_PLUGINS_DIR, which
# the qt.conf written next to the executables points at.)
install(FILES "$<TARGET_FILE:Qt6::QPSQLDriverPlugin>" DESTINATION plugins/sqldrivers)

# --- Non-Qt DLLs: libpq and its dependencies, QtKeychain ---------------------------------------------------
# At install time, ask the linker tools which DLLs the two executables (and qsqlpsql.dll) load, and copy every
# one that resolves from the PostgreSQL bin folder or QtKeychain's folder. Qt's own DLLs are windeployqt's;
# Windows' are never copied. This follows the exact EDB build (OpenSSL 1.1 or 3, libintl, libiconv, zlib,
# libwinpthread, ...) instead of a list of names.
get_filename_component(_beacon_compiler_dir "${CMAKE_CXX_COMPILER}" DIRECTORY)
find_program(BEACON_DUMPBIN NAMES dumpbin HINTS "${_beacon_compiler_dir}" DOC "dumpbin, to list DLL imports")
if(NOT BEACON_DUMPBIN)
    find_program(BEACON_DUMPBIN NAMES objdump llvm-objdump DOC "objdump, to list DLL imports")
endif()
if(BEACON_DUMPBIN MATCHES "dumpbin(\\.exe)?$")
    set(_beacon_dep_tool dumpbin)
else()
    set(_beacon_dep_tool objdump)
endif()
if(TARGET qt6keychain)
    set(_beacon_keychain_target qt6keychain)
else()
    set(_beacon_keychain_target Qt6Keychain::Qt6Keychain)
endif()

install(CODE "
set(beacon_pg_bin [[${BEACON_POSTGRESQL_BIN_DIR}]])
set(beacon_keychain_dir [[$<TARGET_FILE_DIR:${_beacon_keychain_target}>]])
set(beacon_qt_bin [[$<TARGET_FILE_DIR:Qt6::Core>]])
set(beacon_dumpbin [[${BEACON_DUMPBIN}]])
set(beacon_dest \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
set(beacon_wanted)
if(beacon_dumpbin)
    set(CMAKE_GET_RUNTIME_DEPENDENCIES_PLATFORM windows+pe)
    set(CMAKE_GET_RUNTIME_DEPENDENCIES_TOOL ${_beacon_dep_tool})
    set(CMAKE_GET_RUNTIME_DEPENDENCIES_COMMAND \"\${beacon_dumpbin}\")
    file(GET_RUNTIME_DEPENDENCIES
        EXECUTABLES [[$<TARGET_FILE:beacon-admin>]] [[$<TARGET_FILE:beaconctl>]]
        MODULES [[$<TARGET_FILE:Qt6::QPSQLDriverPlugin>]]
        DIRECTORIES \"\${beacon_pg_bin}\" \"\${beacon_keychain_dir}\" \"\${beacon_qt_bin}\"
        PRE_EXCLUDE_REGEXES [[^[Aa][Pp][Ii]-[Mm][Ss]-]] [[^[Ee][Xx][Tt]-[Mm][Ss]-]]
        RESOLVED_DEPENDENCIES_VAR beacon_resolved
        UNRESOLVED_DEPENDENCIES_VAR beacon_unresolved
        CONFLICTING_DEPENDENCIES_PREFIX beacon_conflict)
    file(TO_CMAKE_PATH \"\${beacon_pg_bin}\" beacon_pg_bin_norm)
    file(TO_CMAKE_PATH \"\${beacon_keychain_dir}\" beacon_keychain_norm)
    string(TOLOWER \"\${beacon_pg_bin_norm};\${beacon_keychain_norm}\" beacon_wanted_dirs)
    foreach(dll IN LISTS beacon_resolved)
        file(TO_CMAKE_PATH \"\${dll}\" dll_norm)
        get_filename_component(dll_dir \"\${dll_norm}\" DIRECTORY)
        string(TOLOWER \"\${dll_dir}\" dll_dir)
        if(dll_dir IN_LIST beacon_wanted_dirs)
            list(APPEND beacon_wanted \"\${dll_norm}\")
        endif()
    endforeach()
    foreach(name IN LISTS beacon_unresolved)
        message(WARNING \"packaging: could not resolve \${name}; it is not bundled\")
    endforeach()
else()
    # No dumpbin/objdump: fall back to the DLLs an EDB PostgreSQL build's libpq is known to need.
    file(GLOB beacon_wanted
        \"\${beacon_pg_bin}/libpq.dll\" \"\${beacon_pg_bin}/libssl-*.dll\" \"\${beacon_pg_bin}/libcrypto-*.dll\"
        \"\${beacon_pg_bin}/libintl-*.dll\" \"\${beacon_pg_bin}/libiconv-*.dll\" \"\${beacon_pg_bin}/zlib1.dll\"
        \"\${beacon_pg_bin}/libwinpthread-*.dll\" \"\${beacon_keychain_dir}/*keychain*.dll\")
endif()
list(REMOVE_DUPLICATES beacon_wanted)
string(TOLOWER \"\${beacon_wanted}\" beacon_wanted_lower)
foreach(required IN ITEMS libpq.dll)
    if(NOT beacon_wanted_lower MATCHES \"/\${required}(;|$)\")
        message(FATAL_ERROR \"packaging: \${required} was not found among the DLLs to bundle: \${beacon_wanted}\")
    endif()
endforeach()
file(INSTALL DESTINATION \"\${beacon_dest}\" TYPE SHARED_LIBRARY FILES \${beacon_wanted})
")

# --- MSVC runtime, app-local (msvcp140.dll, vcruntime140*.dll, ...) ---------------------------------------
if(MSVC)
    set(CMAKE_INSTALL_SYSTEM_RUNTIME_DESTINATION "${CMAKE_INSTALL_BINDIR}")
    set(CMAKE_INSTALL_UCRT_LIBRARIES FALSE)   # the UCRT ships with Windows 10 and later
    include(InstallRequiredSystemLibraries)
endif()
