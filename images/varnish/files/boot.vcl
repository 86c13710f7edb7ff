vcl 4.1;

# Loaded at start, before the control plane has loaded the VCL for this host's sites.
backend default none;

sub vcl_recv {
    return (synth(404, "No site for this host"));
}
