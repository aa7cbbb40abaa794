#include "system_support.h"

#include <cstdlib>
#include <zlib.h>

#include "mdgen_model.h"

namespace oeex::testing {

Ports next_ports()
{
	static uint16_t n = 0;
	n++;
	return Ports{uint16_t(19000 + n), uint16_t(23000 + n)};
}

std::string write_gzip(const std::string &name, const std::string &text)
{
	std::string path = temp_dir() + "/" + name;
	gzFile f = gzopen(path.c_str(), "wb");
	gzwrite(f, text.data(), unsigned(text.size()));
	gzclose(f);
	return path;
}

std::string small_md_file(const std::string &name, uint32_t levels, uint64_t bytes, uint64_t seed)
{
	GenOptions o;
	o.snapshot_levels = levels;
	o.target_payload_bytes = bytes;
	o.seed = seed;
	std::string text;
	generate_md(o, [&](std::string_view line) {
		text += line;
		text += '\n';
	});
	return write_gzip(name, text);
}

std::string sample_file()
{
	return env_or("OEEX_DATA", "userspace-exchange/data") + "/sample.csv.gz";
}

std::vector<std::string> exchange_args(const Ports &p, const std::string &file, std::vector<std::string> extra)
{
	std::vector<std::string> args = {"--bind", "127.0.0.1", "--port", std::to_string(p.oe), "--md-port",
					 std::to_string(p.md), "--file", file};
	args.insert(args.end(), extra.begin(), extra.end());
	return args;
}

std::vector<std::string> drain(MulticastReceiver &rx, int idle_ms)
{
	std::vector<std::string> out;
	while (auto d = rx.receive(idle_ms))
		out.push_back(*d);
	return out;
}

std::vector<std::string> rows_of(const std::string &gz_path)
{
	std::vector<std::string> rows;
	for (auto &line : read_gzip_lines(gz_path))
		if (line.rfind("exchange,", 0) != 0 && !line.empty())
			rows.push_back(line);
	return rows;
}

namespace {

bool sh(const std::string &cmd)
{
	return std::system(cmd.c_str()) == 0;
}

} // namespace

SlowLink::SlowLink(const std::string &rate)
{
	// only ever run inside the private namespace made by tests/in_netns.sh
	up = sh("ip link add oeexv0 type veth peer name oeexv1") && sh("ip addr add 10.77.0.1/24 dev oeexv0") &&
	     sh("ip addr add 10.77.0.2/24 dev oeexv1") && sh("ip link set oeexv0 up") && sh("ip link set oeexv1 up") &&
	     // the datagrams arrive on oeexv1 from an address of this host: accept them
	     sh("sysctl -qw net.ipv4.conf.all.accept_local=1 net.ipv4.conf.oeexv1.accept_local=1 "
		"net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.oeexv1.rp_filter=0") &&
	     sh("tc qdisc add dev oeexv0 root tbf rate " + rate + " burst 3000 limit 1000000");
}

SlowLink::~SlowLink()
{
	sh("ip link del oeexv0 2>/dev/null");
}

} // namespace oeex::testing
