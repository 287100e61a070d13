# Runs at install time (cmake --install): writes share/mediagen/server.json from config/server.json
# with the data folder moved out of the read-only share/ tree to var/lib/mediagen under the install
# prefix (/var/lib/mediagen when the prefix is /usr, as the FHS has it).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(data_dir "/var/lib/mediagen")
else()
  set(data_dir "${CMAKE_INSTALL_PREFIX}/var/lib/mediagen")
endif()
file(READ "${MEDIAGEN_SOURCE_DIR}/config/server.json" text)
set(shipped "\"dataDir\": \"../data\"")
string(FIND "${text}" "${shipped}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "config/server.json no longer holds ${shipped}: update cmake/install_server_config.cmake")
endif()
string(REPLACE "${shipped}" "\"dataDir\": \"${data_dir}\"" text "${text}")
set(target "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${MEDIAGEN_DATADIR}/mediagen/server.json")
message(STATUS "Installing: ${target}")
file(WRITE "${target}" "${text}")
