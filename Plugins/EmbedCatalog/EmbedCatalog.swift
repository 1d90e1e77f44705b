import Foundation
import PackagePlugin

/// Embeds the target's message catalogs (po/*.po) into its code at build time, so every binary linking KysoText
/// carries its texts and works as a single installed file (see Messages). The PO files stay the only source:
/// nothing generated is checked in, and a catalog edited or added on any branch is picked up by the next build.
@main
struct EmbedCatalog: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let folder = target.directoryURL.appending(path: "po")
        let catalogs = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "po" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedCatalogs.swift")
        return [
            .buildCommand(
                displayName: "Embedding message catalogs of \(target.name)",
                executable: try context.tool(named: "kyso-catalog-embed").url,
                arguments: [output.path] + catalogs.map(\.path),
                inputFiles: catalogs,
                outputFiles: [output])
        ]
    }
}
