using System.Text.Json.Nodes;
using static McpFunctions.StandIns.Notion.NotionJson;
using Err = McpFunctions.StandIns.Notion.NotionApiException;

namespace McpFunctions.StandIns.Notion;

/// <summary>Pages and databases: create, retrieve, update, and property values.</summary>
internal sealed partial class NotionBackend
{
    private JsonObject CreatePage(Ctx c, JsonObject body)
    {
        if (body["parent"] is not JsonObject parentObject)
        {
            throw Err.Expected("body.parent", "an object", body["parent"], body.ContainsKey("parent"));
        }

        Node parent;
        ParentRef parentRef;
        if (parentObject.ContainsKey("database_id"))
        {
            parent = FindDatabase(c.Ws, ParseBodyId(parentObject["database_id"], "body.parent.database_id"));
            parentRef = new ParentRef("database_id", parent.Id);
        }
        else if (parentObject.ContainsKey("page_id"))
        {
            parent = FindPage(c.Ws, ParseBodyId(parentObject["page_id"], "body.parent.page_id"));
            parentRef = new ParentRef("page_id", parent.Id);
        }
        else
        {
            throw Err.Validation(FixOne("body.parent", ["page_id", "database_id"]));
        }

        if (parent.Archived)
        {
            throw Err.ArchivedEdit();
        }

        if (body["properties"] is not JsonObject properties)
        {
            throw Err.Expected("body.properties", "an object", body["properties"], body.ContainsKey("properties"));
        }

        var schema = parent.Kind == NodeKind.Database ? parent.Schema : (IReadOnlyList<SchemaProperty>)PageSchema;
        var values = ParsePropertyValues(parent.Kind == NodeKind.Database ? parent : null, schema, properties, "body.properties");
        var children = body.ContainsKey("children") ? ParseBlockSpecs(body["children"], "body.children", 1) : [];
        var icon = OptionalIconOrCover(body, "icon");
        var cover = OptionalIconOrCover(body, "cover");

        var page = NewNode(c.Ws, NodeKind.Page, parentRef, c.Who);
        foreach (var (id, value) in values)
        {
            page.PropertyValues[id] = value;
        }

        page.Icon = icon;
        page.Cover = cover;
        parent.Children.Add(page.Id);
        CreateBlockTree(c, page, children, 0);
        return RenderPage(c.Ws, page);
    }

    private static JsonObject UpdatePage(Ctx c, Guid id, JsonObject body)
    {
        var page = FindPage(c.Ws, id);
        var newArchived = ArchivedFlag(body);
        var edits = body.ContainsKey("properties") || body.ContainsKey("icon") || body.ContainsKey("cover");
        GuardArchived(page, newArchived, edits);

        Dictionary<string, JsonNode?>? values = null;
        if (body.ContainsKey("properties"))
        {
            if (body["properties"] is not JsonObject properties)
            {
                throw Err.Expected("body.properties", "an object", body["properties"]);
            }

            var dbId = page.Parent.Type == "database_id" ? page.Parent.Id : null;
            var db = dbId is { } d && c.Ws.Nodes.TryGetValue(d, out var found) ? found : null;
            values = ParsePropertyValues(db, SchemaOf(c.Ws, page), properties, "body.properties");
        }

        var icon = body.ContainsKey("icon") ? OptionalIconOrCover(body, "icon") : page.Icon;
        var cover = body.ContainsKey("cover") ? OptionalIconOrCover(body, "cover") : page.Cover;

        foreach (var (propId, value) in values ?? [])
        {
            page.PropertyValues[propId] = value;
        }

        page.Icon = icon;
        page.Cover = cover;
        if (newArchived is { } archived)
        {
            page.Archived = archived;
        }

        Touch(page, c.Who);
        return RenderPage(c.Ws, page);
    }

    private static Dictionary<string, JsonNode?> ParsePropertyValues(
        Node? database, IReadOnlyList<SchemaProperty> schema, JsonObject input, string path)
    {
        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (key, raw) in input)
        {
            var prop = FindProperty(schema, key) ?? throw Err.Validation($"{key} is not a property that exists.");
            if (ReadOnlyPropertyTypes.Contains(prop.Type))
            {
                throw Err.Validation($"{prop.Name} is a {prop.Type} property, which cannot be set through the API.");
            }

            JsonNode? value;
            if (raw is JsonArray shorthand && prop.Type is "title" or "rich_text")
            {
                value = shorthand; // {"title": [ …rich text… ]} is accepted as shorthand
            }
            else if (raw is JsonObject valueObject && valueObject.ContainsKey(prop.Type))
            {
                value = valueObject[prop.Type];
            }
            else
            {
                throw Err.Validation($"{prop.Name} is expected to be {prop.Type}.");
            }

            result[prop.Id] = NormalizePropertyValue(database, prop, value, $"{path}.{key}.{prop.Type}");
        }

        return result;
    }

    private static SchemaProperty? FindProperty(IReadOnlyList<SchemaProperty> schema, string nameOrId) =>
        schema.FirstOrDefault(p => p.Name == nameOrId) ?? schema.FirstOrDefault(p => p.Id == nameOrId);

    private static JsonNode? NormalizePropertyValue(Node? database, SchemaProperty prop, JsonNode? value, string path)
    {
        switch (prop.Type)
        {
            case "title":
            case "rich_text":
                return NormalizeRichText(value, path);

            case "number":
                return value is null ? null
                    : TryNumber(value, out _) ? value.DeepClone()
                    : throw Err.Expected(path, "a number or `null`", value);

            case "checkbox":
                return TryBool(value, out var b) ? b : throw Err.Expected(path, "a boolean", value);

            case "url":
            case "email":
            case "phone_number":
                return value is null ? null
                    : TryString(value, out var s) ? s
                    : throw Err.Expected(path, "a string or `null`", value);

            case "select":
            case "status":
                return value is null ? null : ResolveOption(database, prop, value, path);

            case "multi_select":
            {
                if (value is not JsonArray items)
                {
                    throw Err.Expected(path, "an array", value);
                }

                var result = new JsonArray();
                for (var i = 0; i < items.Count; i++)
                {
                    result.Add(ResolveOption(database, prop, items[i], $"{path}[{i}]"));
                }

                return result;
            }

            case "date":
            {
                if (value is null)
                {
                    return null;
                }

                if (value is not JsonObject date || !TryString(date["start"], out var start))
                {
                    throw Err.Expected($"{path}.start", "a string", (value as JsonObject)?["start"], value is JsonObject o && o.ContainsKey("start"));
                }

                return new JsonObject
                {
                    ["start"] = start,
                    ["end"] = TryString(date["end"], out var end) ? end : null,
                    ["time_zone"] = TryString(date["time_zone"], out var tz) ? tz : null,
                };
            }

            case "people":
            case "relation":
            {
                if (value is not JsonArray items)
                {
                    throw Err.Expected(path, "an array", value);
                }

                var result = new JsonArray();
                for (var i = 0; i < items.Count; i++)
                {
                    var id = ParseBodyId((items[i] as JsonObject)?["id"], $"{path}[{i}].id");
                    result.Add(prop.Type == "people" ? UserRef(id) : new JsonObject { ["id"] = Id(id) });
                }

                return result;
            }

            case "files":
                return value is JsonArray files ? files.DeepClone() : throw Err.Expected(path, "an array", value);

            default:
                throw Err.Validation($"{prop.Name} is a {prop.Type} property, which cannot be set through the API.");
        }
    }

    /// <summary>Select, status and multi-select values name an option; unknown select options are created, as Notion does.</summary>
    private static JsonObject ResolveOption(Node? database, SchemaProperty prop, JsonNode? value, string path)
    {
        if (value is not JsonObject wanted)
        {
            throw Err.Expected(path, "an object", value);
        }

        var hasName = TryString(wanted["name"], out var name);
        var hasId = TryString(wanted["id"], out var optionId);
        if (!hasName && !hasId)
        {
            throw Err.Validation(FixOne(path, ["name", "id"]));
        }

        if (prop.Config["options"] is not JsonArray options)
        {
            options = [];
            prop.Config["options"] = options;
        }

        foreach (var option in options.OfType<JsonObject>())
        {
            if ((hasId && TryString(option["id"], out var oid) && oid == optionId)
                || (!hasId && TryString(option["name"], out var oname) && oname == name))
            {
                return (JsonObject)option.DeepClone();
            }
        }

        if (hasId && !hasName)
        {
            throw Err.Validation($"Invalid option id `{optionId}` for {prop.Type} property {prop.Name}.");
        }

        if (prop.Type == "status" || database is null)
        {
            throw Err.Validation($"Invalid status option. Status option \"{name}\" does not exist for property {prop.Name}.");
        }

        var created = new JsonObject
        {
            ["id"] = Id(Guid.NewGuid()),
            ["name"] = name,
            ["color"] = TryString(wanted["color"], out var color) ? color : "default",
        };
        options.Add(created);
        return (JsonObject)created.DeepClone();
    }

    // ---------------------------------------------------------------- databases

    private JsonObject CreateDatabase(Ctx c, JsonObject body)
    {
        if (body["parent"] is not JsonObject parentObject)
        {
            throw Err.Expected("body.parent", "an object", body["parent"], body.ContainsKey("parent"));
        }

        var parent = FindPage(c.Ws, ParseBodyId(parentObject["page_id"], "body.parent.page_id", parentObject.ContainsKey("page_id")));
        if (parent.Archived)
        {
            throw Err.ArchivedEdit();
        }

        var title = body.ContainsKey("title") ? NormalizeRichText(body["title"], "body.title") : [];
        var description = body.ContainsKey("description") ? NormalizeRichText(body["description"], "body.description") : [];
        if (body["properties"] is not JsonObject properties)
        {
            throw Err.Expected("body.properties", "an object", body["properties"], body.ContainsKey("properties"));
        }

        var schema = new List<SchemaProperty>();
        foreach (var (name, definition) in properties)
        {
            var (type, config) = ParseSchemaDefinition(definition, $"body.properties.{name}");
            var propName = definition is JsonObject o && TryString(o["name"], out var n) ? n : name;
            schema.Add(new SchemaProperty
            {
                Id = type == "title" ? "title" : ShortId(schema.Select(p => p.Id).Append("title")),
                Name = propName,
                Type = type,
                Config = config,
            });
        }

        var titles = schema.Count(p => p.Type == "title");
        if (titles != 1)
        {
            throw Err.Validation($"body failed validation: body.properties should have exactly one property of type `title`, instead had `{titles}`.");
        }

        var isInline = false;
        if (body.ContainsKey("is_inline") && !TryBool(body["is_inline"], out isInline))
        {
            throw Err.Expected("body.is_inline", "a boolean", body["is_inline"]);
        }

        var icon = OptionalIconOrCover(body, "icon");
        var cover = OptionalIconOrCover(body, "cover");

        var db = NewNode(c.Ws, NodeKind.Database, new ParentRef("page_id", parent.Id), c.Who);
        db.Title = title;
        db.Description = description;
        db.Schema.AddRange(schema);
        db.IsInline = isInline;
        db.Icon = icon;
        db.Cover = cover;
        parent.Children.Add(db.Id);
        return RenderDatabase(db);
    }

    private static (string Type, JsonObject Config) ParseSchemaDefinition(JsonNode? definition, string path)
    {
        if (definition is not JsonObject o)
        {
            throw Err.Expected(path, "an object", definition);
        }

        var type = TryString(o["type"], out var t) ? t : PropertyTypes.FirstOrDefault(o.ContainsKey);
        if (type is null || !PropertyTypes.Contains(type))
        {
            throw Err.Validation(FixOne(path, PropertyTypes));
        }

        var config = o[type] switch
        {
            null => new JsonObject(),
            JsonObject given => (JsonObject)given.DeepClone(),
            var other => throw Err.Expected($"{path}.{type}", "an object", other),
        };

        if (type is "select" or "multi_select" or "status")
        {
            var options = new JsonArray();
            if (config["options"] is JsonArray givenOptions)
            {
                for (var i = 0; i < givenOptions.Count; i++)
                {
                    if (givenOptions[i] is not JsonObject option || !TryString(option["name"], out var optionName))
                    {
                        throw Err.Missing($"{path}.{type}.options[{i}].name");
                    }

                    options.Add(new JsonObject
                    {
                        ["id"] = TryString(option["id"], out var oid) ? oid : Id(Guid.NewGuid()),
                        ["name"] = optionName,
                        ["color"] = TryString(option["color"], out var color) ? color : "default",
                    });
                }
            }

            config["options"] = options;
        }
        else if (type == "number" && config["format"] is null)
        {
            config["format"] = "number";
        }

        return (type, config);
    }

    private static JsonObject UpdateDatabase(Ctx c, Guid id, JsonObject body)
    {
        var db = FindDatabase(c.Ws, id);
        var newArchived = ArchivedFlag(body);
        var edits = body.ContainsKey("title") || body.ContainsKey("description") || body.ContainsKey("properties")
            || body.ContainsKey("icon") || body.ContainsKey("cover");
        GuardArchived(db, newArchived, edits);

        var title = body.ContainsKey("title") ? NormalizeRichText(body["title"], "body.title") : db.Title;
        var description = body.ContainsKey("description") ? NormalizeRichText(body["description"], "body.description") : db.Description;
        var icon = body.ContainsKey("icon") ? OptionalIconOrCover(body, "icon") : db.Icon;
        var cover = body.ContainsKey("cover") ? OptionalIconOrCover(body, "cover") : db.Cover;

        // Validate everything first, then apply: a rejected request changes nothing.
        var changes = new List<Action>();
        if (body.ContainsKey("properties"))
        {
            if (body["properties"] is not JsonObject properties)
            {
                throw Err.Expected("body.properties", "an object", body["properties"]);
            }

            foreach (var (key, value) in properties)
            {
                var path = $"body.properties.{key}";
                var existing = FindProperty(db.Schema, key);
                if (value is null)
                {
                    if (existing is null)
                    {
                        throw Err.Validation($"{key} is not a property that exists.");
                    }

                    if (existing.Type == "title")
                    {
                        throw Err.Validation($"Cannot delete the title property {existing.Name}.");
                    }

                    changes.Add(() => RemoveProperty(c.Ws, db, existing));
                    continue;
                }

                if (value is not JsonObject o)
                {
                    throw Err.Expected(path, "an object or `null`", value);
                }

                string? newName = null;
                if (o.ContainsKey("name") && !TryString(o["name"], out newName!))
                {
                    throw Err.Expected($"{path}.name", "a string", o["name"]);
                }

                var hasType = o.ContainsKey("type") || PropertyTypes.Any(o.ContainsKey);
                if (existing is null)
                {
                    var (type, config) = ParseSchemaDefinition(o, path);
                    if (type == "title")
                    {
                        throw Err.Validation($"body failed validation: {path} cannot be a second property of type `title`.");
                    }

                    var name = newName ?? key;
                    changes.Add(() => db.Schema.Add(new SchemaProperty
                    {
                        Id = ShortId(db.Schema.Select(p => p.Id).Append("title")),
                        Name = name,
                        Type = type,
                        Config = config,
                    }));
                    continue;
                }

                if (hasType)
                {
                    var (type, config) = ParseSchemaDefinition(o, path);
                    if ((existing.Type == "title") != (type == "title"))
                    {
                        throw Err.Validation($"Cannot change the type of property {existing.Name} from {existing.Type} to {type}.");
                    }

                    changes.Add(() =>
                    {
                        if (existing.Type != type)
                        {
                            existing.Type = type;
                            RemoveValues(c.Ws, db, existing.Id);
                        }

                        existing.Config = config;
                    });
                }

                if (newName is not null)
                {
                    changes.Add(() => existing.Name = newName);
                }
            }
        }

        changes.ForEach(change => change());
        db.Title = title;
        db.Description = description;
        db.Icon = icon;
        db.Cover = cover;
        if (newArchived is { } archived)
        {
            db.Archived = archived;
        }

        Touch(db, c.Who);
        return RenderDatabase(db);
    }

    private static void RemoveProperty(Workspace ws, Node db, SchemaProperty prop)
    {
        db.Schema.Remove(prop);
        RemoveValues(ws, db, prop.Id);
    }

    private static void RemoveValues(Workspace ws, Node db, string propId)
    {
        foreach (var rowId in db.Children)
        {
            ws.Nodes[rowId].PropertyValues.Remove(propId);
        }
    }
}
