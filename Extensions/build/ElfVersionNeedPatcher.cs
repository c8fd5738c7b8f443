// Compiled in two places: by MSBuild's RoslynCodeTaskFactory (against netstandard 2.0, no implicit usings), which
// takes a single source file and so needs the task class at the end of this file; and by the tests, which define
// MLNETDEEP_NO_MSBUILD_TASK to leave that class out. Keep the patcher to System.* APIs that netstandard 2.0 has.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace MlNetDeep.Build
{
    /// <summary>A version that a shared library needs from another file (an entry of <c>.gnu.version_r</c>).</summary>
    internal sealed class VersionNeed
    {
        public VersionNeed(string file, string version, ushort flags)
        {
            File = file;
            Version = version;
            Flags = flags;
        }

        /// <summary>The needed file, as named in the library (e.g. <c>libstdc++.so.6</c>).</summary>
        public string File { get; }

        /// <summary>The version name (e.g. <c>GLIBCXX_3.4.32</c>).</summary>
        public string Version { get; }

        /// <summary>The <c>vna_flags</c> of the entry; <see cref="ElfVersionNeedPatcher.WeakFlag"/> marks a weak need.</summary>
        public ushort Flags { get; }

        public bool IsWeak => (Flags & ElfVersionNeedPatcher.WeakFlag) != 0;

        public override string ToString() => File + " " + Version;
    }

    /// <summary>A needed version the host lacks, and the dynamic symbols that keep it from being made weak.</summary>
    internal sealed class MissingVersion
    {
        public MissingVersion(string file, string version, IReadOnlyList<string> blockingSymbols)
        {
            File = file;
            Version = version;
            BlockingSymbols = blockingSymbols;
        }

        public string File { get; }

        public string Version { get; }

        /// <summary>Symbols bound to the version that are defined or referenced by a relocation; empty when it was made weak.</summary>
        public IReadOnlyList<string> BlockingSymbols { get; }

        public override string ToString() => File + " " + Version;
    }

    /// <summary>What <see cref="ElfVersionNeedPatcher.Patch"/> did.</summary>
    internal sealed class VersionNeedPatchResult
    {
        public VersionNeedPatchResult(IReadOnlyList<MissingVersion> weakened, IReadOnlyList<MissingVersion> blocked)
        {
            Weakened = weakened;
            Blocked = blocked;
        }

        /// <summary>Missing versions now marked weak in the written copy.</summary>
        public IReadOnlyList<MissingVersion> Weakened { get; }

        /// <summary>Missing versions left as they were because a symbol can still bind to them.</summary>
        public IReadOnlyList<MissingVersion> Blocked { get; }
    }

    /// <summary>
    /// Reads ELF symbol versioning and marks a needed version weak (VER_FLG_WEAK) when the host does not define it and
    /// nothing can ever bind to it, so that the dynamic loader warns instead of refusing the library. A compiler can
    /// emit such a need for a symbol no relocation uses (GCC 13's <c>std::ios_base_library_init</c>).
    /// </summary>
    internal static class ElfVersionNeedPatcher
    {
        /// <summary>VER_FLG_WEAK in <c>vna_flags</c>.</summary>
        public const ushort WeakFlag = 0x2;

        /// <summary>The ELF machine (<c>e_machine</c>, e.g. 62 for x86-64, 183 for AArch64) of a 64-bit little-endian ELF file.</summary>
        public static ushort ReadMachine(string path) => ElfImage.Read(System.IO.File.ReadAllBytes(path)).Machine;

        /// <summary>The version names a shared library defines (<c>.gnu.version_d</c>), without its base (soname) entry.</summary>
        public static ISet<string> ReadDefinedVersions(string path)
        {
            var elf = ElfImage.Read(System.IO.File.ReadAllBytes(path));
            var versions = new HashSet<string>(StringComparer.Ordinal);
            ElfSection? verdef = elf.FindSection(ElfImage.SectionTypeVerdef);
            if (verdef is null)
                return versions;

            ElfSection strings = elf.Section(verdef.Link);
            long entry = verdef.Offset;
            for (int i = 0; i < 0x10000; i++)
            {
                elf.CheckRange(entry, 20, verdef);
                ushort flags = elf.U16(entry + 2);
                uint aux = elf.U32(entry + 12);
                uint next = elf.U32(entry + 16);
                // VER_FLG_BASE marks the entry naming the file itself.
                if ((flags & 0x1) == 0)
                {
                    elf.CheckRange(entry + aux, 8, verdef);
                    versions.Add(elf.String(strings, elf.U32(entry + aux)));
                }

                if (next == 0)
                    return versions;
                entry += next;
            }

            throw new InvalidDataException("The version definitions of " + path + " do not end.");
        }

        /// <summary>The versions a library needs, file by file, in the order of <c>.gnu.version_r</c>.</summary>
        public static IReadOnlyList<VersionNeed> ReadVersionNeeds(string path) =>
            ReadNeedEntries(ElfImage.Read(System.IO.File.ReadAllBytes(path))).Select(e => e.Need).ToList();

        /// <summary>
        /// Writes a copy of <paramref name="sourcePath"/> to <paramref name="destinationPath"/> in which every needed
        /// version that the host lacks is marked weak, provided that each dynamic symbol bound to it is undefined and
        /// referenced by no relocation. Needed files missing from <paramref name="hostVersionsByFile"/> are left alone.
        /// The copy is written beside the destination and renamed over it; the source is never modified.
        /// </summary>
        /// <param name="hostVersionsByFile">For each needed file name (e.g. <c>libstdc++.so.6</c>), the versions the host's copy defines.</param>
        public static VersionNeedPatchResult Patch(string sourcePath, string destinationPath, IReadOnlyDictionary<string, ISet<string>> hostVersionsByFile)
        {
            byte[] bytes = System.IO.File.ReadAllBytes(sourcePath);
            var elf = ElfImage.Read(bytes);

            var missing = new List<NeedEntry>();
            foreach (NeedEntry entry in ReadNeedEntries(elf))
            {
                if (!entry.Need.IsWeak
                    && hostVersionsByFile.TryGetValue(entry.Need.File, out ISet<string>? hostVersions)
                    && !hostVersions.Contains(entry.Need.Version))
                {
                    missing.Add(entry);
                }
            }

            var weakened = new List<MissingVersion>();
            var blocked = new List<MissingVersion>();
            if (missing.Count > 0)
            {
                List<DynamicSymbol> symbols = ReadDynamicSymbols(elf);
                foreach (NeedEntry entry in missing)
                {
                    List<string> blocking = symbols
                        .Where(s => s.VersionIndex == entry.Index && (s.IsDefined || s.IsRelocated))
                        .Select(s => s.Name)
                        .ToList();
                    var outcome = new MissingVersion(entry.Need.File, entry.Need.Version, blocking);
                    if (blocking.Count == 0)
                    {
                        ushort flags = (ushort)(entry.Need.Flags | WeakFlag);
                        bytes[entry.FlagsOffset] = (byte)flags;
                        bytes[entry.FlagsOffset + 1] = (byte)(flags >> 8);
                        weakened.Add(outcome);
                    }
                    else
                    {
                        blocked.Add(outcome);
                    }
                }
            }

            WriteBeside(destinationPath, bytes);
            return new VersionNeedPatchResult(weakened, blocked);
        }

        /// <summary>Copies the file the same way <see cref="Patch"/> writes (beside the destination, then renamed).</summary>
        public static void CopyUnchanged(string sourcePath, string destinationPath) =>
            WriteBeside(destinationPath, System.IO.File.ReadAllBytes(sourcePath));

        private static void WriteBeside(string destinationPath, byte[] bytes)
        {
            string fullPath = Path.GetFullPath(destinationPath);
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            string temporary = fullPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                System.IO.File.WriteAllBytes(temporary, bytes);
                if (System.IO.File.Exists(fullPath))
                    System.IO.File.Replace(temporary, fullPath, null);
                else
                    System.IO.File.Move(temporary, fullPath);
            }
            finally
            {
                if (System.IO.File.Exists(temporary))
                    System.IO.File.Delete(temporary);
            }
        }

        private sealed class NeedEntry
        {
            public NeedEntry(VersionNeed need, ushort index, long flagsOffset)
            {
                Need = need;
                Index = index;
                FlagsOffset = flagsOffset;
            }

            public VersionNeed Need { get; }

            /// <summary><c>vna_other</c>: the index that <c>.gnu.version</c> uses for symbols bound to this version.</summary>
            public ushort Index { get; }

            public long FlagsOffset { get; }
        }

        private static List<NeedEntry> ReadNeedEntries(ElfImage elf)
        {
            var entries = new List<NeedEntry>();
            ElfSection? verneed = elf.FindSection(ElfImage.SectionTypeVerneed);
            if (verneed is null)
                return entries;

            ElfSection strings = elf.Section(verneed.Link);
            long need = verneed.Offset;
            for (int i = 0; i < 0x10000; i++)
            {
                elf.CheckRange(need, 16, verneed);
                ushort count = elf.U16(need + 2);
                string file = elf.String(strings, elf.U32(need + 4));
                long aux = need + elf.U32(need + 8);
                for (int j = 0; j < count; j++)
                {
                    elf.CheckRange(aux, 16, verneed);
                    var version = new VersionNeed(file, elf.String(strings, elf.U32(aux + 8)), elf.U16(aux + 4));
                    entries.Add(new NeedEntry(version, elf.U16(aux + 6), aux + 4));
                    uint nextAux = elf.U32(aux + 12);
                    if (nextAux == 0)
                        break;
                    aux += nextAux;
                }

                uint next = elf.U32(need + 12);
                if (next == 0)
                    return entries;
                need += next;
            }

            throw new InvalidDataException("The version needs of the library do not end.");
        }

        private sealed class DynamicSymbol
        {
            public string Name = "";
            public ushort VersionIndex;
            public bool IsDefined;
            public bool IsRelocated;
        }

        private static List<DynamicSymbol> ReadDynamicSymbols(ElfImage elf)
        {
            ElfSection dynsym = elf.FindSection(ElfImage.SectionTypeDynsym)
                ?? throw new InvalidDataException("The library has version needs but no dynamic symbol table.");
            ElfSection versym = elf.FindSection(ElfImage.SectionTypeVersym)
                ?? throw new InvalidDataException("The library has version needs but no symbol version table.");
            ElfSection strings = elf.Section(dynsym.Link);
            long symbolSize = dynsym.EntrySize != 0 ? (long)dynsym.EntrySize : 24;
            long count = (long)dynsym.Size / symbolSize;
            elf.CheckRange(versym.Offset, count * 2, versym);

            var symbols = new List<DynamicSymbol>();
            for (long i = 0; i < count; i++)
            {
                long symbol = dynsym.Offset + i * symbolSize;
                elf.CheckRange(symbol, 24, dynsym);
                symbols.Add(new DynamicSymbol
                {
                    Name = elf.String(strings, elf.U32(symbol)),
                    // Bit 15 only hides the symbol; the low 15 bits are the version index.
                    VersionIndex = (ushort)(elf.U16(versym.Offset + i * 2) & 0x7fff),
                    IsDefined = elf.U16(symbol + 6) != 0,
                });
            }

            // Every relocation section tied to the dynamic symbol table (.rela.dyn, .rela.plt, or REL forms).
            for (int s = 0; s < elf.SectionCount; s++)
            {
                ElfSection section = elf.Section(s);
                bool rela = section.Type == ElfImage.SectionTypeRela;
                if ((!rela && section.Type != ElfImage.SectionTypeRel) || section.Link != dynsym.Index)
                    continue;

                long size = section.EntrySize != 0 ? (long)section.EntrySize : rela ? 24 : 16;
                for (long r = section.Offset; r + size <= section.Offset + (long)section.Size; r += size)
                {
                    elf.CheckRange(r, 16, section);
                    long index = elf.U32(r + 12);   // high half of r_info
                    if (index > 0 && index < symbols.Count)
                        symbols[(int)index].IsRelocated = true;
                }
            }

            return symbols;
        }
    }

    /// <summary>Finds the copy of a shared library the dynamic loader of this host would most likely use.</summary>
    internal static class HostLibraryLocator
    {
        /// <summary>
        /// The first file named <paramref name="fileName"/> for the same ELF machine as <paramref name="machine"/> in
        /// <see cref="SearchDirectories"/>, or null.
        /// </summary>
        public static string? Find(string fileName, ushort machine) =>
            Find(fileName, machine, SearchDirectories(Environment.GetEnvironmentVariable("LD_LIBRARY_PATH"), "/etc/ld.so.conf", machine));

        public static string? Find(string fileName, ushort machine, IEnumerable<string> directories)
        {
            foreach (string directory in directories)
            {
                string candidate = Path.Combine(directory, fileName);
                if (System.IO.File.Exists(candidate) && IsElfFor(candidate, machine))
                    return candidate;
            }

            return null;
        }

        /// <summary>
        /// LD_LIBRARY_PATH entries, then the directories in ld.so.conf (following its <c>include</c> globs), then the
        /// standard directories, without duplicates.
        /// </summary>
        public static IReadOnlyList<string> SearchDirectories(string? ldLibraryPath, string ldSoConf, ushort machine)
        {
            var directories = new List<string>();
            if (!string.IsNullOrEmpty(ldLibraryPath))
                directories.AddRange(ldLibraryPath!.Split(':').Where(d => d.Length > 0));

            ReadLdSoConf(ldSoConf, directories, depth: 0);

            string? multiarch = machine == 62 ? "x86_64-linux-gnu" : machine == 183 ? "aarch64-linux-gnu" : null;
            if (multiarch is not null)
                directories.AddRange(new[] { "/lib/" + multiarch, "/usr/lib/" + multiarch });
            directories.AddRange(new[] { "/lib64", "/usr/lib64", "/lib", "/usr/lib" });

            return directories.Distinct(StringComparer.Ordinal).ToList();
        }

        private static void ReadLdSoConf(string path, List<string> directories, int depth)
        {
            if (depth > 8 || !System.IO.File.Exists(path))
                return;

            foreach (string rawLine in System.IO.File.ReadAllLines(path))
            {
                int comment = rawLine.IndexOf('#');
                string line = (comment >= 0 ? rawLine.Substring(0, comment) : rawLine).Trim();
                if (line.Length == 0 || line.StartsWith("hwcap ", StringComparison.Ordinal))
                    continue;

                if (line.StartsWith("include", StringComparison.Ordinal) && line.Length > 7 && char.IsWhiteSpace(line[7]))
                {
                    foreach (string pattern in line.Substring(8).Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
                    {
                        // ldconfig reads a relative include pattern from the including file's directory.
                        string absolute = Path.IsPathRooted(pattern) ? pattern : Path.Combine(Path.GetDirectoryName(path) ?? "/", pattern);
                        string? directory = Path.GetDirectoryName(absolute);
                        if (directory is null || !Directory.Exists(directory))
                            continue;
                        foreach (string included in Directory.GetFiles(directory, Path.GetFileName(absolute)).OrderBy(f => f, StringComparer.Ordinal))
                            ReadLdSoConf(included, directories, depth + 1);
                    }
                }
                else
                {
                    directories.AddRange(line.Split(new[] { ' ', '\t', ':', ',' }, StringSplitOptions.RemoveEmptyEntries));
                }
            }
        }

        private static bool IsElfFor(string path, ushort machine)
        {
            var header = new byte[20];
            using (var stream = System.IO.File.OpenRead(path))
            {
                int read = 0;
                while (read < header.Length)
                {
                    int n = stream.Read(header, read, header.Length - read);
                    if (n == 0)
                        return false;
                    read += n;
                }
            }

            return ElfImage.HasElf64LittleEndianIdent(header) && (ushort)(header[18] | header[19] << 8) == machine;
        }
    }

    internal sealed class ElfSection
    {
        public int Index;
        public uint Type;
        public long Offset;
        public ulong Size;
        public int Link;
        public ulong EntrySize;
    }

    /// <summary>A 64-bit little-endian ELF file held in memory, with bounds-checked reads.</summary>
    internal sealed class ElfImage
    {
        public const uint SectionTypeRela = 4;
        public const uint SectionTypeRel = 9;
        public const uint SectionTypeDynsym = 11;
        public const uint SectionTypeVerdef = 0x6ffffffd;
        public const uint SectionTypeVerneed = 0x6ffffffe;
        public const uint SectionTypeVersym = 0x6fffffff;

        private readonly byte[] _data;
        private readonly ElfSection[] _sections;

        private ElfImage(byte[] data, ushort machine, ElfSection[] sections)
        {
            _data = data;
            Machine = machine;
            _sections = sections;
        }

        public ushort Machine { get; }

        public int SectionCount => _sections.Length;

        public static bool HasElf64LittleEndianIdent(byte[] data) =>
            data.Length >= 16 && data[0] == 0x7f && data[1] == (byte)'E' && data[2] == (byte)'L' && data[3] == (byte)'F'
            && data[4] == 2 && data[5] == 1;

        public static ElfImage Read(byte[] data)
        {
            if (data.Length < 64 || !HasElf64LittleEndianIdent(data))
                throw new InvalidDataException("Not a 64-bit little-endian ELF file.");

            var header = new ElfImage(data, 0, Array.Empty<ElfSection>());
            long tableOffset = (long)header.U64(0x28);
            int entrySize = header.U16(0x3a);
            long count = header.U16(0x3c);
            int namesIndex = header.U16(0x3e);
            if (tableOffset == 0)
                throw new InvalidDataException("The ELF file has no section headers.");
            if (entrySize < 64)
                throw new InvalidDataException("The ELF section header size is invalid.");
            header.CheckRange(tableOffset, entrySize, null);
            // Extended numbering: section 0 holds the real count and name-table index when they do not fit.
            if (count == 0)
                count = (long)header.U64(tableOffset + 32);
            if (namesIndex == 0xffff)
                namesIndex = (int)header.U32(tableOffset + 40);
            header.CheckRange(tableOffset, count * entrySize, null);

            var sections = new ElfSection[count];
            for (int i = 0; i < count; i++)
            {
                long at = tableOffset + (long)i * entrySize;
                sections[i] = new ElfSection
                {
                    Index = i,
                    Type = header.U32(at + 4),
                    Offset = (long)header.U64(at + 24),
                    Size = header.U64(at + 32),
                    Link = (int)header.U32(at + 40),
                    EntrySize = header.U64(at + 56),
                };
            }

            return new ElfImage(data, header.U16(0x12), sections);
        }

        public ElfSection? FindSection(uint type) => _sections.FirstOrDefault(s => s.Type == type);

        public ElfSection Section(int index)
        {
            if (index < 0 || index >= _sections.Length)
                throw new InvalidDataException("Section index " + index + " is out of range.");
            return _sections[index];
        }

        public void CheckRange(long offset, long length, ElfSection? within)
        {
            long start = within?.Offset ?? 0;
            long end = within is null ? _data.Length : within.Offset + (long)within.Size;
            if (offset < start || length < 0 || offset + length > end || end > _data.Length)
                throw new InvalidDataException("The ELF file is truncated or malformed at offset " + offset + ".");
        }

        public ushort U16(long at)
        {
            CheckRange(at, 2, null);
            return (ushort)(_data[at] | _data[at + 1] << 8);
        }

        public uint U32(long at)
        {
            CheckRange(at, 4, null);
            return (uint)(_data[at] | _data[at + 1] << 8 | _data[at + 2] << 16 | _data[at + 3] << 24);
        }

        public ulong U64(long at) => U32(at) | (ulong)U32(at + 4) << 32;

        public string String(ElfSection table, uint offset)
        {
            long start = table.Offset + offset;
            CheckRange(start, 1, table);
            long end = start;
            long limit = table.Offset + (long)table.Size;
            while (end < limit && _data[end] != 0)
                end++;
            return Encoding.UTF8.GetString(_data, (int)start, (int)(end - start));
        }
    }

#if !MLNETDEEP_NO_MSBUILD_TASK
    /// <summary>
    /// Copies a shared library to <see cref="DestinationFile"/>, marking weak the needed versions that this host's
    /// copies of the needed files lack and that no symbol can bind to (see <see cref="ElfVersionNeedPatcher"/>).
    /// </summary>
    public sealed class PatchElfVersionNeeds : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string SourceFile { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string DestinationFile { get; set; } = "";

        public override bool Execute()
        {
            try
            {
                Dictionary<string, ISet<string>>? hostVersions = ReadHostVersions();
                if (hostVersions is null)
                {
                    ElfVersionNeedPatcher.CopyUnchanged(SourceFile, DestinationFile);
                    return true;
                }

                VersionNeedPatchResult result = ElfVersionNeedPatcher.Patch(SourceFile, DestinationFile, hostVersions);
                foreach (MissingVersion weakened in result.Weakened)
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        "{0}: marked its need for {1} {2} weak; this host lacks that version and no symbol can bind to it.",
                        DestinationFile, weakened.File, weakened.Version);
                foreach (MissingVersion blocked in result.Blocked)
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        "{0}: needs {1} {2}, which this host lacks, for {3}; it will not load on this host.",
                        DestinationFile, blocked.File, blocked.Version, string.Join(", ", blocked.BlockingSymbols));
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Log.LogErrorFromException(e);
            }

            return !Log.HasLoggedErrors;
        }

        /// <summary>The versions this host defines for each file the source needs that can be found here; null when there is nothing to go on.</summary>
        private Dictionary<string, ISet<string>>? ReadHostVersions()
        {
            var hostVersions = new Dictionary<string, ISet<string>>(StringComparer.Ordinal);
            try
            {
                ushort machine = ElfVersionNeedPatcher.ReadMachine(SourceFile);
                foreach (string file in ElfVersionNeedPatcher.ReadVersionNeeds(SourceFile).Select(n => n.File).Distinct())
                {
                    string? hostCopy = HostLibraryLocator.Find(file, machine);
                    if (hostCopy is null)
                        Log.LogMessage("{0}: found no {1} for its machine on this host; those version needs stay as they are.", SourceFile, file);
                    else
                        hostVersions[file] = ElfVersionNeedPatcher.ReadDefinedVersions(hostCopy);
                }
            }
            catch (InvalidDataException e)
            {
                Log.LogMessage("{0}: copied unchanged ({1})", SourceFile, e.Message);
                return null;
            }

            return hostVersions.Count == 0 ? null : hostVersions;
        }
    }
#endif
}
