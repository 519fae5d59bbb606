using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace McpFunctions.BenchPeer;

/// <summary>The one provider the peer calls, with one fixed key: settings <c>NOTION_BASE_URL</c> and <c>NOTION_API_KEY</c>.</summary>
public sealed class PeerOptions
{
    [Required]
    [ConfigurationKeyName("NOTION_BASE_URL")]
    public Uri? BaseUrl { get; set; }

    [Required]
    [ConfigurationKeyName("NOTION_API_KEY")]
    public string? ApiKey { get; set; }
}
