/*
 * depthlab offline point-cloud viewer (part of depthlab, MIT licence).
 *
 * depthlab.html.to_html writes a page holding, in this order: a JSON config (the element
 * with id "depthlab-config"), base64 blocks with the points, three.js (inlined from the
 * installed pythreejs package), and this file.  It draws one cloud, or two side by side that
 * share one camera, and never touches the network.
 *
 * Data: positions are uint16 (N, 3) quantised over the cloud's box, already in three.js's
 * frame (x right, y up, z toward the viewer); a normalised attribute gives q / 65535 and the
 * point shader (config.pointShader, depthlab.scene.POINT_VERTEX_SHADER: the notebook view's)
 * turns that back into lo + q / 65535 * span and draws each point as wide as its pixel
 * (desc.footprint).  Colours are uint8.  Each cloud sits in a group placed by desc.transform
 * (depthlab.scene.view_transform), so that one camera orbits every cloud around its own subject.
 *
 * Edge points (desc.edges, one bit per point) are drawn as a separate layer, hidden until the
 * "Edge points" checkbox shows them.
 *
 * Controls: drag = orbit around the target; right-drag, shift-drag or two fingers = pan;
 * wheel or pinch = zoom; double-click, "R" or the Reset button = back to the phone's view.
 */
(function () {
  "use strict";

  // performance marks (start, data decoded, first picture) let benchmarks split the time
  performance.mark("depthlab-start");
  const config = JSON.parse(document.getElementById("depthlab-config").textContent);
  const root = document.getElementById("depthlab-root");

  // ---------------------------------------------------------------------------------------
  // Data
  // ---------------------------------------------------------------------------------------

  function blockText(id) {
    return document.getElementById(id).textContent.trim();
  }

  function decodeBase64(text) {
    if (typeof Uint8Array.fromBase64 === "function") {
      return Uint8Array.fromBase64(text);
    }
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  }

  function setAttribute(geometry, name, attribute) {
    // three.js r110 renamed addAttribute to setAttribute; accept either
    if (typeof geometry.setAttribute === "function") {
      geometry.setAttribute(name, attribute);
    } else {
      geometry.addAttribute(name, attribute);
    }
  }

  function pointMaterial(desc) {
    const pos = desc.positions;
    const quantised = pos.encoding === "uint16-base64";
    const fp = desc.footprint || [0, desc.pointSize || 0.01];
    return new THREE.ShaderMaterial({
      vertexShader: config.pointShader.vertex,
      fragmentShader: config.pointShader.fragment,
      vertexColors: THREE.VertexColors,
      uniforms: {
        footprint: { value: new THREE.Vector2(fp[0], fp[1]) },
        sizeScale: { value: config.pointShader.coverage },
        viewportHeight: { value: 480 },
        posMin: { value: quantised ? new THREE.Vector3().fromArray(pos.min) : new THREE.Vector3(0, 0, 0) },
        posSpan: { value: quantised ? new THREE.Vector3().fromArray(pos.span) : new THREE.Vector3(1, 1, 1) },
      },
    });
  }

  function makePoints(desc, material) {
    const geometry = new THREE.BufferGeometry();
    const points = new THREE.Points(geometry, material);
    const pos = desc.positions;
    if (pos.encoding === "uint16-base64") {
      const bytes = decodeBase64(blockText(pos.element));
      const q = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
      // the shader turns q / 65535 back into min + q / 65535 * span (uniforms posMin, posSpan)
      setAttribute(geometry, "position", new THREE.BufferAttribute(q, 3, true));
    } else if (pos.encoding === "float-json") {
      const xyz = new Float32Array(JSON.parse(blockText(pos.element)));
      setAttribute(geometry, "position", new THREE.BufferAttribute(xyz, 3));
    } else {
      throw new Error("depthlab viewer: unknown position encoding " + pos.encoding);
    }
    const rgb = decodeBase64(blockText(desc.colours.element));
    setAttribute(geometry, "color", new THREE.BufferAttribute(rgb, 3, true));
    if (desc.stretch) {
      // wider points on slanted surfaces (depthlab.scene.point_stretch), read as stretch / 255
      setAttribute(geometry, "stretch", new THREE.BufferAttribute(decodeBase64(blockText(desc.stretch.element)), 1, true));
    }
    // the geometry's own bounds would be in quantised units; the camera keeps the cloud in view
    points.frustumCulled = false;
    return points;
  }

  // Edge points (desc.edges: one bit per point, depthlab's PointCloud.edge -- a neighbour jumps
  // in depth, the mesh's cut rule): every point stays in the page.  The cloud's own geometry
  // draws the others through an index (measured points first, then any invented layer, so the
  // fill toggle still cuts at one place); a second Points object, sharing the same attributes
  // and material, draws the edge points while the "Edge points" checkbox shows them.
  // Returns the number of measured points the cloud's index draws before the invented layer.
  function splitEdges(desc, points, material, group) {
    const bits = decodeBase64(blockText(desc.edges.element));
    const n = desc.count;
    const firstInvented = desc.second_layer_from !== undefined ? desc.second_layer_from : n;
    const kept = new Uint32Array(n - desc.edges.count);
    const flagged = new Uint32Array(desc.edges.count);
    let k = 0;
    let e = 0;
    let keptMeasured = 0;
    for (let i = 0; i < n; i++) {
      if (bits[i >> 3] & (1 << (i & 7))) {
        flagged[e++] = i;
      } else {
        kept[k++] = i;
        if (i < firstInvented) {
          keptMeasured++;
        }
      }
    }
    points.geometry.setIndex(new THREE.BufferAttribute(kept, 1));
    const geometry = new THREE.BufferGeometry();
    Object.keys(points.geometry.attributes).forEach(function (name) {
      setAttribute(geometry, name, points.geometry.attributes[name]);
    });
    geometry.setIndex(new THREE.BufferAttribute(flagged, 1));
    const edgePoints = new THREE.Points(geometry, material);
    edgePoints.frustumCulled = false;
    edgePoints.visible = Boolean(config.edgesShown);
    group.add(edgePoints);
    return { points: edgePoints, keptMeasured: keptMeasured };
  }

  // A textured surface from depthlab.mesh (desc.kind === "mesh"): positions quantised like a
  // cloud's (uint16 over the box: the object's scale and position turn q / 65535 back into
  // min + q / 65535 * span), uint32 triangle indices, uint16 uv (OpenGL convention: origin at
  // the photo's bottom-left, so the texture keeps flipY), the photo as an embedded JPEG drawn
  // unlit.  The JPEG decodes asynchronously: the surface is drawn grey until it arrives, then
  // the page redraws and sets data-depthlab-texture on <html>.
  function makeMesh(desc) {
    const geometry = new THREE.BufferGeometry();
    const pos = desc.positions;
    const bytes = decodeBase64(blockText(pos.element));
    setAttribute(geometry, "position", new THREE.BufferAttribute(
      new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2), 3, true));
    const uvBytes = decodeBase64(blockText(desc.uv.element));
    setAttribute(geometry, "uv", new THREE.BufferAttribute(
      new Uint16Array(uvBytes.buffer, uvBytes.byteOffset, uvBytes.byteLength / 2), 2, true));
    const idx = decodeBase64(blockText(desc.indices.element));
    geometry.setIndex(new THREE.BufferAttribute(new Uint32Array(idx.buffer, idx.byteOffset, idx.byteLength / 4), 1));
    const texture = new THREE.Texture();
    // no mipmaps: a photo of any size is used as it is (three.js would shrink it to a power of two)
    texture.generateMipmaps = false;
    texture.minFilter = THREE.LinearFilter;
    texture.wrapS = texture.wrapT = THREE.ClampToEdgeWrapping;
    const material = new THREE.MeshBasicMaterial({ color: 0x808080, side: THREE.DoubleSide });
    const image = new Image();
    image.onload = function () {
      texture.image = image;
      texture.needsUpdate = true;
      material.map = texture;
      material.color.set(0xffffff);
      material.needsUpdate = true;
      const html = document.documentElement;
      html.setAttribute("data-depthlab-texture", String(Number(html.getAttribute("data-depthlab-texture") || 0) + 1));
      requestRender();
    };
    image.src = "data:" + desc.texture.mime + ";base64," + blockText(desc.texture.element);
    const surface = new THREE.Mesh(geometry, material);
    surface.scale.fromArray(pos.span);
    surface.position.fromArray(pos.min);
    // the geometry's own bounds are in quantised units; the camera keeps the surface in view
    surface.frustumCulled = false;
    return surface;
  }

  // ---------------------------------------------------------------------------------------
  // Renderer, scenes, one shared camera
  // ---------------------------------------------------------------------------------------

  let renderer;
  try {
    renderer = new THREE.WebGLRenderer({ antialias: false });
  } catch (err) {
    const msg = document.createElement("div");
    msg.className = "dl-message";
    msg.textContent = "This browser could not start WebGL, which the 3D view needs (" + err.message + ").";
    root.appendChild(msg);
    document.documentElement.setAttribute("data-depthlab-error", String(err.message));
    return;
  }
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setClearColor(new THREE.Color(config.background), 1);
  root.appendChild(renderer.domElement);

  function makeGrid(spec) {
    const grid = new THREE.GridHelper(spec.size, spec.divisions, 0x8a8a8a, 0x4a4a4a);
    grid.position.set(spec.centre[0], spec.centre[1], spec.centre[2]);
    return grid;
  }

  function placed(desc) {
    // the group that puts a cloud where the shared camera orbits its own subject
    const group = new THREE.Group();
    const t = desc.transform;
    if (t) {
      group.scale.fromArray(t.scale);
      group.quaternion.fromArray(t.quaternion);
      group.position.fromArray(t.position);
    }
    return group;
  }

  const views = config.clouds.map(function (desc) {
    const scene = new THREE.Scene();
    const group = placed(desc);
    scene.add(group);
    // a cloud (points) or, from depthlab.mesh, a textured surface (desc.kind === "mesh",
    // drawn by makeMesh when present)
    let material = null;
    let drawn;
    if (desc.kind === "mesh" && typeof makeMesh === "function") {
      drawn = makeMesh(desc);
    } else {
      material = pointMaterial(desc);
      drawn = makePoints(desc, material);
    }
    group.add(drawn);
    const edges = desc.edges && material ? splitEdges(desc, drawn, material, group) : null;
    // where the invented layer behind occlusion edges starts (points, or triangle indices; the
    // index of the points without their edge points)
    const measured = desc.second_layer_faces_from !== undefined ? 3 * desc.second_layer_faces_from
      : desc.second_layer_from !== undefined && edges ? edges.keptMeasured : desc.second_layer_from;
    // the grid joins after the first picture: compiling its line shader can take a few tenths
    // of a second with software WebGL, and the points are what the reader waits for
    const spec = desc.grid || config.grid;
    const grid = spec ? makeGrid(spec) : null;
    return { desc: desc, scene: scene, group: group, material: material, grid: grid, rect: null, caption: null,
             drawn: drawn, measured: measured, edges: edges ? edges.points : null };
  });
  performance.mark("depthlab-data");

  const start = config.camera;
  const camera = new THREE.PerspectiveCamera(start.fov, 1, start.near, start.far);
  const target = new THREE.Vector3();
  const offset = new THREE.Vector3(); // camera position minus target
  // size of the scene, for zoom limits and clipping planes
  const radius = Math.max(
    1e-6,
    new THREE.Vector3().fromArray(start.position).distanceTo(new THREE.Vector3().fromArray(start.target)),
    ...config.clouds.map(function (d) {
      const s = d.positions.span || [0, 0, 0];
      return 0.5 * Math.hypot(s[0], s[1], s[2]);
    })
  );

  function resetView() {
    camera.up.fromArray(start.up);
    target.fromArray(start.target);
    offset.fromArray(start.position).sub(target);
    requestRender();
  }

  function updateCamera(aspect) {
    camera.position.copy(target).add(offset);
    camera.lookAt(target);
    const dist = offset.length();
    camera.near = Math.max(radius * 1e-4, Math.min(start.near, dist * 0.01));
    camera.far = Math.max(start.far, dist + 4 * radius);
    camera.aspect = aspect;
    // the vertical field of view that fits the cloud both ways at this view's aspect
    const tanHalf = Math.max(start.fit.tan_y, start.fit.tan_x / aspect);
    camera.fov = (360 / Math.PI) * Math.atan(tanHalf);
    camera.updateProjectionMatrix();
    camera.updateMatrixWorld();
  }

  // ---------------------------------------------------------------------------------------
  // Layout: one canvas, one viewport per cloud (side by side when wide, stacked when tall)
  // ---------------------------------------------------------------------------------------

  function layout() {
    const w = root.clientWidth;
    const h = root.clientHeight;
    renderer.setSize(w, h);
    const n = views.length;
    const sideBySide = w >= h || n === 1;
    views.forEach(function (view, i) {
      // rect in CSS pixels, origin top-left
      view.rect = sideBySide
        ? { x: Math.round((i * w) / n), y: 0, w: Math.round(((i + 1) * w) / n) - Math.round((i * w) / n), h: h }
        : { x: 0, y: Math.round((i * h) / n), w: w, h: Math.round(((i + 1) * h) / n) - Math.round((i * h) / n) };
      if (view.caption) {
        view.caption.style.left = view.rect.x + 8 + "px";
        view.caption.style.bottom = h - (view.rect.y + view.rect.h) + 8 + "px";
        view.caption.style.maxWidth = Math.max(120, view.rect.w - 32) + "px";
      }
    });
    requestRender();
  }

  let renderPending = false;
  let sizeFactor = 1; // the point-size slider's multiplier
  let firstPicture = true;

  function render() {
    renderPending = false;
    const h = root.clientHeight;
    renderer.setScissorTest(views.length > 1);
    views.forEach(function (view) {
      const r = view.rect;
      const y = h - r.y - r.h; // WebGL viewports start at the bottom
      renderer.setViewport(r.x, y, r.w, r.h);
      renderer.setScissor(r.x, y, r.w, r.h);
      updateCamera(r.w / Math.max(1, r.h));
      // the point shader needs the view's height in device pixels (the field of view comes
      // from the projection matrix); the footprint rule itself is depthlab.scene's
      if (view.material) {
        view.material.uniforms.viewportHeight.value = r.h * renderer.getPixelRatio();
        view.material.uniforms.sizeScale.value = config.pointShader.coverage * sizeFactor;
      }
      renderer.render(view.scene, camera);
    });
    if (firstPicture) {
      firstPicture = false;
      // the frame is on screen once the browser has composited it
      requestAnimationFrame(function () {
        performance.mark("depthlab-first-picture");
        window.depthlabViewer.firstPictureMs = performance.now();
        views.forEach(function (view) {
          if (view.grid) {
            view.group.add(view.grid);
          }
        });
        requestRender();
        document.documentElement.setAttribute("data-depthlab-ready", "1");
      });
    }
  }

  function requestRender() {
    if (!renderPending) {
      renderPending = true;
      requestAnimationFrame(render);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Orbit, pan, zoom
  // ---------------------------------------------------------------------------------------

  const spherical = new THREE.Spherical();

  function orbit(dx, dy, height) {
    spherical.setFromVector3(offset);
    // half a turn per view height
    spherical.theta -= (Math.PI * dx) / height;
    spherical.phi -= (Math.PI * dy) / height;
    spherical.makeSafe();
    offset.setFromSpherical(spherical);
    requestRender();
  }

  function pan(dx, dy, height) {
    // one pixel at the target's distance covers this many scene units
    const perPixel = (2 * offset.length() * Math.tan((camera.fov * Math.PI) / 360)) / height;
    camera.updateMatrix();
    const right = new THREE.Vector3().setFromMatrixColumn(camera.matrix, 0);
    const up = new THREE.Vector3().setFromMatrixColumn(camera.matrix, 1);
    target.addScaledVector(right, -dx * perPixel).addScaledVector(up, dy * perPixel);
    requestRender();
  }

  function zoom(factor) {
    const dist = Math.min(radius * 100, Math.max(radius * 1e-3, offset.length() * factor));
    offset.setLength(dist);
    requestRender();
  }

  function viewHeight() {
    return views.length ? views[0].rect.h : root.clientHeight;
  }

  const canvas = renderer.domElement;
  const pointers = new Map(); // pointerId -> {x, y}
  let panning = false;

  function pinchState() {
    const p = Array.from(pointers.values());
    return {
      x: (p[0].x + p[1].x) / 2,
      y: (p[0].y + p[1].y) / 2,
      d: Math.max(1, Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y)),
    };
  }

  canvas.addEventListener("pointerdown", function (e) {
    canvas.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    panning = e.button === 1 || e.button === 2 || e.shiftKey || e.ctrlKey || e.metaKey;
    canvas.style.cursor = "grabbing";
    e.preventDefault();
  });

  canvas.addEventListener("pointermove", function (e) {
    const last = pointers.get(e.pointerId);
    if (!last) {
      return;
    }
    const h = viewHeight();
    if (pointers.size === 1) {
      const dx = e.clientX - last.x;
      const dy = e.clientY - last.y;
      if (panning) {
        pan(dx, dy, h);
      } else {
        orbit(dx, dy, h);
      }
      last.x = e.clientX;
      last.y = e.clientY;
    } else if (pointers.size === 2) {
      const before = pinchState();
      last.x = e.clientX;
      last.y = e.clientY;
      const after = pinchState();
      zoom(before.d / after.d);
      pan(after.x - before.x, after.y - before.y, h);
    }
  });

  function pointerEnd(e) {
    pointers.delete(e.pointerId);
    if (pointers.size === 0) {
      canvas.style.cursor = "grab";
    }
  }
  canvas.addEventListener("pointerup", pointerEnd);
  canvas.addEventListener("pointercancel", pointerEnd);
  canvas.addEventListener("contextmenu", function (e) {
    e.preventDefault();
  });
  canvas.addEventListener(
    "wheel",
    function (e) {
      e.preventDefault();
      const lines = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaMode === 2 ? e.deltaY * 400 : e.deltaY;
      zoom(Math.pow(0.999, -lines));
    },
    { passive: false }
  );
  canvas.addEventListener("dblclick", resetView);
  window.addEventListener("keydown", function (e) {
    if ((e.key === "r" || e.key === "R") && !(e.target instanceof HTMLInputElement)) {
      resetView();
    }
  });
  window.addEventListener("resize", layout);

  // ---------------------------------------------------------------------------------------
  // Panel (title, reset, point size, background) and captions
  // ---------------------------------------------------------------------------------------

  function element(tag, props, children) {
    const el = document.createElement(tag);
    Object.assign(el, props || {});
    (children || []).forEach(function (c) {
      el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return el;
  }

  const panel = element("div", { className: "dl-panel" });
  panel.appendChild(element("strong", { textContent: config.title }));
  const resetButton = element("button", { type: "button", textContent: "Reset view", title: "double-click or R" });
  resetButton.addEventListener("click", resetView);
  panel.appendChild(resetButton);

  // slider position s in [-2, 2] -> point size * 2^s
  const sizeSlider = element("input", { type: "range", min: "-2", max: "2", step: "0.05", value: "0" });
  sizeSlider.setAttribute("aria-label", "point size");
  sizeSlider.addEventListener("input", function () {
    sizeFactor = Math.pow(2, parseFloat(sizeSlider.value));
    requestRender();
  });
  panel.appendChild(element("label", {}, ["Point size", sizeSlider]));

  const colourInput = element("input", { type: "color", value: config.background });
  colourInput.setAttribute("aria-label", "background colour");
  colourInput.addEventListener("input", function () {
    renderer.setClearColor(new THREE.Color(colourInput.value), 1);
    document.body.style.background = colourInput.value;
    requestRender();
  });
  panel.appendChild(element("label", {}, ["Background", colourInput]));

  if (config.grid) {
    const gridBox = element("input", { type: "checkbox", checked: true });
    gridBox.addEventListener("change", function () {
      views.forEach(function (view) {
        view.grid.visible = gridBox.checked;
      });
      requestRender();
    });
    panel.appendChild(element("label", {}, [gridBox, config.grid.label]));
  }
  // the invented background behind occlusion edges (depthlab.layers): on by default, never measured
  if (views.some(function (view) { return view.measured !== undefined; })) {
    const fillBox = element("input", { type: "checkbox", checked: true });
    fillBox.setAttribute("aria-label", "fill behind edges");
    fillBox.addEventListener("change", function () {
      views.forEach(function (view) {
        if (view.measured !== undefined) {
          view.drawn.geometry.setDrawRange(0, fillBox.checked ? Infinity : view.measured);
        }
      });
      requestRender();
    });
    panel.appendChild(element("label", { title: "a background layer, inpainted, behind the subject's edges: invented" },
                               [fillBox, "Fill behind edges"]));
  }
  // edge points (a neighbour jumps in depth: occlusions and the "flying pixels" between them):
  // hidden by default, as in the notebook views; never dropped from the page
  const edgeCount = views.reduce(function (sum, view) {
    return sum + (view.edges ? view.desc.edges.count : 0);
  }, 0);
  if (edgeCount) {
    const edgeBox = element("input", { type: "checkbox", checked: Boolean(config.edgesShown) });
    edgeBox.setAttribute("aria-label", "edge points");
    edgeBox.addEventListener("change", function () {
      views.forEach(function (view) {
        if (view.edges) {
          view.edges.visible = edgeBox.checked;
        }
      });
      requestRender();
    });
    panel.appendChild(element("label", {
      title: "points beside a jump in depth (occlusions, flying pixels between near and far): flagged, " +
        "hidden by default",
    }, [edgeBox, "Edge points: show (" + edgeCount.toLocaleString("en-US") + ")"]));
  }
  panel.title = "drag: orbit · right-drag, shift-drag or two fingers: pan · wheel or pinch: zoom";
  root.appendChild(panel);

  function storedPrecision(desc) {
    const err = desc.positions.max_error;
    if (!err) {
      return "";
    }
    const worst = Math.max.apply(null, err);
    const metres = desc.caption.units === "m";
    return metres
      ? " · positions stored to ±" + (worst * 1000).toPrecision(2) + " mm"
      : " · positions stored to ±" + worst.toPrecision(2);
  }

  views.forEach(function (view) {
    const c = view.desc.caption;
    view.caption = element("div", { className: "dl-caption" }, [
      element("div", { textContent: c.line }),
      element("div", { className: "dl-scale", textContent: c.scale + storedPrecision(view.desc) }),
    ]);
    root.appendChild(view.caption);
  });

  window.depthlabViewer = {
    config: config,
    camera: camera,
    target: target,
    resetView: resetView,
    requestRender: requestRender,
    firstPictureMs: null,
  };

  resetView();
  layout();
})();
