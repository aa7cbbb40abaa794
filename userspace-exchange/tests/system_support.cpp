#include "system_support.h"

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

} // namespace oeex::testing
