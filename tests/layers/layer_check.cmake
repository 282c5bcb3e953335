# The layer rules of README's architecture table, as a test that fails: `ui` -> `models` -> `app/core`, never
# back, and the core library never touches Qt Widgets (the CLI and the tests share it).
#
#   cmake -DSOURCE_DIR=… -DQT_WIDGETS_INCLUDE_DIR=… -DCORE_LINK_CLOSURE=… [-DCORE_EXECUTABLES=…] -P layer_check.cmake
#
# SOURCE_DIR              the project's source folder
# QT_WIDGETS_INCLUDE_DIR  Qt's QtWidgets header folder: every header in it is forbidden below ui/
# CORE_LINK_CLOSURE       beacon_core's link libraries and theirs, walked at configure time (';' or '|' list)
# CORE_EXECUTABLES        built programs that link beacon_core and not beacon_ui, whose ELF NEEDED entries
#                         must not name libQt6Widgets (';' or '|' list; skipped where readelf is missing).
#                         Debian links --as-needed, so this catches code that uses Widgets; a declared but
#                         unused link shows only in CORE_LINK_CLOSURE.
cmake_minimum_required(VERSION 3.25)

foreach(required SOURCE_DIR QT_WIDGETS_INCLUDE_DIR)
    if(NOT DEFINED ${required} OR "${${required}}" STREQUAL "")
        message(FATAL_ERROR "layer_check.cmake needs -D${required}=…")
    endif()
endforeach()
string(REPLACE "|" ";" CORE_LINK_CLOSURE "${CORE_LINK_CLOSURE}")
string(REPLACE "|" ";" CORE_EXECUTABLES "${CORE_EXECUTABLES}")

set(violations)

# The headers a folder offers to others, as full paths.
function(headers_of folder out)
    file(GLOB_RECURSE found LIST_DIRECTORIES false "${SOURCE_DIR}/${folder}/*.h" "${SOURCE_DIR}/${folder}/*.hpp")
    set(${out} ${found} PARENT_SCOPE)
endfunction()

file(GLOB widgets_headers LIST_DIRECTORIES false RELATIVE "${QT_WIDGETS_INCLUDE_DIR}" "${QT_WIDGETS_INCLUDE_DIR}/*")
list(LENGTH widgets_headers widgets_header_count)
if(widgets_header_count LESS 50)
    # A wrong folder would make every Widgets include look allowed; fail instead of passing for nothing.
    message(FATAL_ERROR "Only ${widgets_header_count} headers in ${QT_WIDGETS_INCLUDE_DIR}: not Qt's QtWidgets folder")
endif()

# Every #include of the files under `folder` that names one of `forbidden_headers` (full paths), or a Qt Widgets
# header when `widgets_forbidden` is set, is a violation. An include found beside the including file is its own
# folder's, whatever the name.
function(check_includes folder forbidden_description widgets_forbidden)
    set(forbidden_headers ${ARGN})
    file(GLOB_RECURSE sources LIST_DIRECTORIES false
        "${SOURCE_DIR}/${folder}/*.h" "${SOURCE_DIR}/${folder}/*.hpp" "${SOURCE_DIR}/${folder}/*.cpp"
        "${SOURCE_DIR}/${folder}/*.in")
    list(LENGTH sources source_count)
    if(source_count EQUAL 0)
        message(FATAL_ERROR "No sources under ${SOURCE_DIR}/${folder}: nothing would be checked")
    endif()
    set(found_violations)
    foreach(source IN LISTS sources)
        file(STRINGS "${source}" include_lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
        get_filename_component(source_dir "${source}" DIRECTORY)
        file(RELATIVE_PATH source_name "${SOURCE_DIR}" "${source}")
        foreach(line IN LISTS include_lines)
            if(NOT line MATCHES "#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"]")
                continue()
            endif()
            set(included "${CMAKE_MATCH_1}")
            if(widgets_forbidden)
                if(included MATCHES "^QtWidgets(/|$)")
                    list(APPEND found_violations "${source_name}: #include <${included}> is Qt Widgets")
                    continue()
                endif()
                if(included IN_LIST widgets_headers)
                    list(APPEND found_violations "${source_name}: #include <${included}> is Qt Widgets")
                    continue()
                endif()
            endif()
            if(EXISTS "${source_dir}/${included}")
                continue()
            endif()
            foreach(header IN LISTS forbidden_headers)
                string(LENGTH "/${included}" suffix_length)
                string(LENGTH "${header}" header_length)
                if(header_length LESS suffix_length)
                    continue()
                endif()
                math(EXPR suffix_start "${header_length} - ${suffix_length}")
                string(SUBSTRING "${header}" ${suffix_start} -1 suffix)
                if(suffix STREQUAL "/${included}")
                    file(RELATIVE_PATH header_name "${SOURCE_DIR}" "${header}")
                    list(APPEND found_violations
                        "${source_name}: #include \"${included}\" is ${header_name}, from ${forbidden_description}")
                    break()
                endif()
            endforeach()
        endforeach()
    endforeach()
    set(violations ${violations} ${found_violations} PARENT_SCOPE)
    message(STATUS "${folder}: ${source_count} files checked against ${forbidden_description}")
endfunction()

headers_of(models models_headers)
headers_of(ui ui_headers)
check_includes(app/core "models/ or ui/" TRUE ${models_headers} ${ui_headers})
check_includes(models "ui/" TRUE ${ui_headers})

# The link: what beacon_core pulls in, declared (configure time) and as built (the programs' NEEDED entries).
if(NOT CORE_LINK_CLOSURE)
    message(FATAL_ERROR "CORE_LINK_CLOSURE is empty: beacon_core's link libraries were not passed in")
endif()
foreach(library IN LISTS CORE_LINK_CLOSURE)
    if(library MATCHES "Widgets|beacon_ui")
        list(APPEND violations "beacon_core links ${library}, directly or through the targets it links")
    endif()
endforeach()

find_program(READELF readelf)
foreach(program IN LISTS CORE_EXECUTABLES)
    if(NOT READELF)
        message(STATUS "readelf not found: the built programs' libraries are not checked")
        break()
    endif()
    if(NOT EXISTS "${program}")
        list(APPEND violations "${program} does not exist: build before testing")
        continue()
    endif()
    execute_process(COMMAND "${READELF}" -d "${program}" OUTPUT_VARIABLE dynamic RESULT_VARIABLE result)
    if(NOT result EQUAL 0 OR NOT dynamic MATCHES "libQt6Core")
        list(APPEND violations "readelf -d ${program} failed or shows no libQt6Core: cannot check it")
    elseif(dynamic MATCHES "libQt6Widgets")
        list(APPEND violations "${program} links only beacon_core, yet needs libQt6Widgets")
    else()
        message(STATUS "${program}: needs no libQt6Widgets")
    endif()
endforeach()

if(violations)
    list(JOIN violations "\n  " text)
    message(FATAL_ERROR "Layer rules broken (ui -> models -> app/core, never back; core never uses Qt Widgets):\n  ${text}")
endif()
message(STATUS "Layer rules hold")
