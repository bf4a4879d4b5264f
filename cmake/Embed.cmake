# tgshop_embed(TARGET SYMBOL FILES...): compiles FILES into TARGET as the array SYMBOL
# (struct embedded_file, core/embed.h), regenerated when a file changes.
function(tgshop_embed target symbol)
    set(out ${CMAKE_CURRENT_BINARY_DIR}/${symbol}_embedded.c)
    # a ;-list would be split into separate arguments of the command: pass it |-joined
    list(JOIN ARGN "|" files)
    add_custom_command(
        OUTPUT ${out}
        COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${symbol} "-DFILES=${files}"
                -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
        DEPENDS ${ARGN} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
        COMMENT "Embedding ${symbol}"
        VERBATIM)
    target_sources(${target} PRIVATE ${out})
endfunction()
