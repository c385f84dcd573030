#!/usr/bin/env escript
%% -*- erlang -*-
%%
%% libcluster_node: a stand-in for a BEAM node that runs libcluster's
%% Cluster.Strategy.Gossip, written for this project's tests (it shares no
%% code with libcluster). It sends heartbeats as Gossip does, byte for byte:
%%
%%   plain:  "heartbeat::" ++ term_to_binary(#{node => Node})
%%   secret: IV(16) ++ AES-256-CBC(SHA-256(Secret), IV, PKCS#7(plain))
%%
%% and, given a name, runs Erlang distribution as that node, so that a
%% cookie check can connect to it.
%%
%% Usage: escript libcluster_node.escript key=value ...
%%   name=n@127.0.0.1   start distribution as this node; needs epmd (its
%%                      port from ERL_EPMD_PORT, default 4369). Or start the
%%                      node as erl does, with ERL_FLAGS="-name n@198.18.0.2
%%                      -setcookie C" (then leave name= and cookie= out)
%%   names=long|short   long (-name, the default) or short (-sname) names
%%   cookie=C           the node's cookie (with name)
%%   dist_if=127.0.0.1  listen for distribution on this address only
%%   node=N             the node name the heartbeats carry (default: the
%%                      node's own name; needed without name)
%%   group=230.1.1.251  multicast group;    port=45892  its port
%%   if=127.0.0.1       interface address to send on;  ttl=1
%%   secret=S           secret mode with this secret (default: plain)
%%   atoms=latin1|utf8  atom encoding: latin1 is ATOM_EXT (100), what OTP 25
%%                      writes; utf8 is SMALL_ATOM_UTF8_EXT (119), what OTP 26
%%                      and later write (default: this OTP's own)
%%   timing=stdin|gossip stdin: a heartbeat per "beat" line (the default);
%%                      gossip: Gossip's timing, one at once, then one after
%%                      every uniform 1..5000 ms
%%   listen=true        also receive on the group as Gossip does: a socket
%%                      bound to 0.0.0.0:port with reuseaddr, joined to the
%%                      group; prints "heard <size> <source ip>" per datagram
%%
%% Lines on standard input: "beat" sends one heartbeat; "nodes" prints the
%% connected nodes; "quit" (or end of input) stops the node.
%% Lines on standard output:
%%   ready <node> <otp release>      once the socket (and distribution) is up
%%   sent <size>                     after each heartbeat
%%   nodes visible=[...] hidden=[...] logged=N
%%                                   once no connection is pending; N: log
%%                                   events of level warning and up so far
%%   nodeup <node> <visible|hidden>, nodedown <node> <visible|hidden>
%%   heard <size> <source ip>        (listen=true) a datagram on the group
-mode(compile).

main(Args) ->
    Opts = maps:from_list([split_arg(A) || A <- Args]),
    count_logs(),
    Node = case is_alive() of
               true -> alive_dist(Opts);
               false -> start_dist(Opts)
           end,
    Sock = open_socket(Opts),
    Target = {ip(maps:get("group", Opts, "230.1.1.251")),
              list_to_integer(maps:get("port", Opts, "45892"))},
    open_listener(Target, Opts),
    Beat = heartbeat_fun(Node, Opts),
    io:format("ready ~s ~s~n", [Node, erlang:system_info(otp_release)]),
    Self = self(),
    spawn_link(fun() -> read_lines(Self) end),
    case maps:get("timing", Opts, "stdin") of
        "gossip" -> self() ! gossip;
        "stdin" -> ok
    end,
    loop(Sock, Target, Beat).

%% count_logs counts the log events of level warning and up, in the process
%% that logs them, before any handler prints them.
count_logs() ->
    C = counters:new(1, []),
    persistent_term:put(logged, C),
    Count = fun(#{level := L} = E, Ctr) ->
                    case logger:compare_levels(L, warning) of
                        lt -> ok;
                        _ -> counters:add(Ctr, 1, 1)
                    end,
                    E
            end,
    ok = logger:add_primary_filter(count, {Count, C}).

split_arg(A) ->
    case string:split(A, "=") of
        [K, V] -> {K, V};
        _ -> fail("argument ~s is not key=value", [A])
    end.

fail(Fmt, Args) ->
    io:format(standard_error, "libcluster_node: " ++ Fmt ++ "~n", Args),
    halt(2).

ip(S) ->
    case inet:parse_ipv4strict_address(S) of
        {ok, IP} -> IP;
        _ -> fail("~s is not an IPv4 address", [S])
    end.

%% start_dist starts distribution when name= is given and returns the name
%% the heartbeats carry.
start_dist(#{"name" := Name} = Opts) ->
    case Opts of
        #{"dist_if" := If} -> application:set_env(kernel, inet_dist_use_interface, ip(If));
        _ -> ok
    end,
    Names = case maps:get("names", Opts, "long") of
                "long" -> longnames;
                "short" -> shortnames
            end,
    case net_kernel:start([list_to_atom(Name), Names]) of
        {ok, _} -> ok;
        {error, Why} -> fail("starting distribution as ~s: ~p", [Name, Why])
    end,
    case Opts of
        #{"cookie" := C} -> erlang:set_cookie(node(), list_to_atom(C));
        _ -> ok
    end,
    ok = net_kernel:monitor_nodes(true, [{node_type, all}]),
    maps:get("node", Opts, atom_to_list(node()));
start_dist(#{"node" := Node}) ->
    Node;
start_dist(_) ->
    fail("give name= (a distributed node) or node= (heartbeats only)", []).

%% alive_dist returns the name the heartbeats carry of a node that erl
%% started (ERL_FLAGS=-name ...), after start_dist's other steps.
alive_dist(Opts) ->
    ok = net_kernel:monitor_nodes(true, [{node_type, all}]),
    maps:get("node", Opts, atom_to_list(node())).

%% open_listener opens, with listen=true, a socket that receives on the
%% group with the options Gossip uses.
open_listener({Group, Port}, #{"listen" := "true"}) ->
    case gen_udp:open(Port, [binary, {active, true}, {ip, {0, 0, 0, 0}}, {reuseaddr, true},
                             {multicast_loop, true}, {add_membership, {Group, {0, 0, 0, 0}}}]) of
        {ok, S} -> S;
        {error, Why} -> fail("opening the listening socket: ~p", [Why])
    end;
open_listener(_, _) ->
    none.

open_socket(Opts) ->
    If = ip(maps:get("if", Opts, "127.0.0.1")),
    TTL = list_to_integer(maps:get("ttl", Opts, "1")),
    case gen_udp:open(0, [binary, {active, false}, {ip, If}, {multicast_if, If},
                          {multicast_ttl, TTL}, {multicast_loop, true}]) of
        {ok, S} -> S;
        {error, Why} -> fail("opening the socket: ~p", [Why])
    end.

%% heartbeat_fun returns a fun that builds one heartbeat datagram.
heartbeat_fun(Node, Opts) ->
    Enc = case maps:get("atoms", Opts, "default") of
              "latin1" -> [{minor_version, 1}];
              "utf8" -> [{minor_version, 2}];
              "default" -> []
          end,
    Plain = iolist_to_binary(["heartbeat::",
                              term_to_binary(#{node => list_to_atom(Node)}, Enc)]),
    case Opts of
        #{"secret" := Secret} ->
            Key = crypto:hash(sha256, Secret),
            fun() ->
                    IV = crypto:strong_rand_bytes(16),
                    Ct = crypto:crypto_one_time(aes_256_cbc, Key, IV, pad(Plain), true),
                    <<IV/binary, Ct/binary>>
            end;
        _ ->
            fun() -> Plain end
    end.

%% pad adds PKCS#7 padding to a whole number of 16-byte blocks.
pad(B) ->
    N = 16 - (byte_size(B) rem 16),
    <<B/binary, (binary:copy(<<N>>, N))/binary>>.

read_lines(Owner) ->
    case io:get_line("") of
        eof -> Owner ! {line, "quit"};
        {error, _} -> Owner ! {line, "quit"};
        L ->
            Owner ! {line, string:trim(L)},
            read_lines(Owner)
    end.

loop(Sock, {Group, Port} = Target, Beat) ->
    receive
        {line, "beat"} ->
            send(Sock, Group, Port, Beat),
            loop(Sock, Target, Beat);
        gossip ->
            send(Sock, Group, Port, Beat),
            erlang:send_after(rand:uniform(5000), self(), gossip),
            loop(Sock, Target, Beat);
        {line, "nodes"} ->
            settle(2000),
            io:format("nodes visible=~w hidden=~w logged=~b~n",
                      [nodes(visible), nodes(hidden), counters:get(persistent_term:get(logged), 1)]),
            loop(Sock, Target, Beat);
        {line, "quit"} ->
            halt(0);
        {line, Other} ->
            fail("unknown command ~p", [Other]);
        {nodeup, N, Info} ->
            io:format("nodeup ~s ~s~n", [N, proplists:get_value(node_type, Info)]),
            loop(Sock, Target, Beat);
        {nodedown, N, Info} ->
            io:format("nodedown ~s ~s~n", [N, proplists:get_value(node_type, Info)]),
            loop(Sock, Target, Beat);
        {udp, _, IP, _, Data} ->
            io:format("heard ~b ~s~n", [byte_size(Data), inet:ntoa(IP)]),
            loop(Sock, Target, Beat)
    end.

%% settle waits (up to N times 5 ms) until no connection is being set up, so
%% that what a connection attempt logs is counted before "nodes" answers:
%% the handshake process logs before it ends, and net_kernel forgets the
%% pending connection when it has ended.
settle(0) ->
    fail("a connection stayed pending", []);
settle(N) ->
    case is_alive() andalso net_kernel:nodes_info() of
        {ok, Info} ->
            case [Node || {Node, I} <- Info, proplists:get_value(state, I) =/= up] of
                [] -> ok;
                _ -> receive after 5 -> settle(N - 1) end
            end;
        _ -> ok
    end.

send(Sock, Group, Port, Beat) ->
    D = Beat(),
    case gen_udp:send(Sock, Group, Port, D) of
        ok -> io:format("sent ~b~n", [byte_size(D)]);
        {error, Why} -> fail("sending: ~p", [Why])
    end.
