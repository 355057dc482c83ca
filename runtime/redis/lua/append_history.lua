-- append events to the history (lib.lua's history(): capped, a final 'call failed' kept)
history(EVENT)
return 1
